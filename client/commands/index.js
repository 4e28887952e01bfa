// Every command: name, one-line summary and help group. Modules load only when run, so
// `skild --help` stays fast.

/** @type {import("../core/command.js").CommandInfo[]} */
export const COMMANDS = [
  {
    name: "install",
    summary: "Install a skill into your coding agents (or everything in skild.lock.json)",
    group: "Use skills",
    aliases: ["i", "add"],
    load: () => import("./install.js"),
  },
  {
    name: "list",
    summary: "List installed skills",
    group: "Use skills",
    aliases: ["ls"],
    load: () => import("./list.js"),
  },
  {
    name: "info",
    summary: "Show a skill's versions and tags, and where it is installed",
    group: "Use skills",
    aliases: ["view", "show"],
    load: () => import("./info.js"),
  },
  {
    name: "verify",
    summary: "Re-check installed skills: files on disk and the registry's signatures",
    group: "Use skills",
    load: () => import("./verify.js"),
  },
  {
    name: "update",
    summary: "Update installed skills to the newest version their tag or range allows",
    group: "Use skills",
    aliases: ["up", "upgrade"],
    load: () => import("./update.js"),
  },
  {
    name: "uninstall",
    summary: "Remove an installed skill",
    group: "Use skills",
    aliases: ["remove", "rm", "un"],
    load: () => import("./uninstall.js"),
  },
  {
    name: "agents",
    summary: "Show the agents skild installs for and their skills folders",
    group: "Use skills",
    load: () => import("./agents.js"),
  },
  {
    name: "search",
    summary: "Search the registry",
    group: "Use skills",
    aliases: ["find", "s"],
    load: () => import("./search.js"),
  },
  {
    name: "init",
    summary: "Create a new skill folder with a valid SKILL.md",
    group: "Write and publish skills",
    load: () => import("./init.js"),
  },
  {
    name: "validate",
    summary: "Check a skill folder or tarball without publishing it",
    group: "Write and publish skills",
    load: () => import("./validate.js"),
  },
  {
    name: "publish",
    summary: "Publish a skill folder or .tgz to the registry",
    group: "Write and publish skills",
    load: () => import("./publish.js"),
  },
  {
    name: "org",
    summary: "Create an organisation and manage its members and roles",
    group: "Organisations and private skills",
    aliases: ["orgs"],
    load: () => import("./org.js"),
  },
  {
    name: "access",
    summary: "Make a published skill public or private",
    group: "Organisations and private skills",
    load: () => import("./access.js"),
  },
  {
    name: "signup",
    summary: "Create a publisher account",
    group: "Account",
    load: () => import("./signup.js"),
  },
  {
    name: "login",
    summary: "Log in and save a token for this registry",
    group: "Account",
    load: () => import("./login.js"),
  },
  {
    name: "logout",
    summary: "Revoke the saved token on the registry and forget it",
    group: "Account",
    load: () => import("./logout.js"),
  },
  {
    name: "whoami",
    summary: "Show who you are logged in as",
    group: "Account",
    load: () => import("./whoami.js"),
  },
];

/** @param {string} name */
export const findCommand = (name) => COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
