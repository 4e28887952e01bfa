// The risk scanner's rules, as data. A rule looks at what a file does, never at what kind of file it
// is: a shell script is not a finding by being one.
//
// Every pattern must stay linear on hostile input: it starts with a literal (so the engine only
// tries positions where that literal is), its gaps are bounded (`[^\n]{0,160}`, never `.*`), it
// never nests quantifiers, and `[^\n]` keeps a match on one line. The runner adds a byte budget on
// top (see scan.ts), so even a pattern that slipped through could not run away.

export type Severity = "low" | "medium" | "high";

export interface PatternRule {
  id: string;
  severity: Severity;
  /** What the finding means to a person reviewing the skill. */
  message: string;
  /** Global, so the runner can walk every match in a file; case-insensitive where words vary in case. */
  pattern: RegExp;
  /** Limits the rule to some files (package-relative path); all text files when absent. */
  only?: (path: string) => boolean;
}

const HOME = String.raw`(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|\$env:USERPROFILE|/root|/home/[\w.-]{1,32}|/Users/[\w.-]{1,32})`;
const SHELL = String.raw`(?:sudo\s{1,8})?(?:ba|z|da|k|fi)?sh\b`;
const DOWNLOADER = String.raw`\b(?:curl|wget|fetch|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b`;
const NETWORK_TOOL = String.raw`\b(?:curl|wget|nc|ncat|netcat|socat|telnet)\b`;

export const isMarkdown = (path: string) => /\.(?:md|mdx|markdown)$/i.test(path);
export const isSkillMd = (path: string) => path === "SKILL.md";

/** Rules matched line by line over every text file. */
export const PATTERN_RULES: PatternRule[] = [
  // --- Piping a download into a shell.
  {
    id: "pipe-to-shell",
    severity: "high",
    message: "Downloads a script and runs it in a shell without saving or checking it first.",
    pattern: new RegExp(String.raw`${DOWNLOADER}[^\n|;&]{0,160}\|\s{0,8}${SHELL}`, "gi"),
  },
  {
    id: "pipe-to-shell",
    severity: "high",
    message: "Runs a downloaded script through a shell (process substitution or command substitution).",
    pattern: /\b(?:ba|z)?sh\s{1,8}(?:-c\s{1,8})?["']?(?:<\(|\$\()\s{0,8}(?:curl|wget)\b/gi,
  },
  {
    id: "pipe-to-shell",
    severity: "high",
    message: "Downloads PowerShell code and runs it (Invoke-Expression / iex).",
    pattern:
      /\b(?:iex|Invoke-Expression)\b[^\n]{0,40}(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString|Net\.WebClient)\b|\b(?:DownloadString|irm|iwr)\b[^\n]{0,160}\|\s{0,8}(?:iex|Invoke-Expression)\b/gi,
  },
  {
    id: "pipe-to-shell",
    severity: "high",
    message: "Downloads code and pipes it into an interpreter.",
    pattern: new RegExp(
      String.raw`${DOWNLOADER}[^\n|;&]{0,160}\|\s{0,8}(?:sudo\s{1,8})?(?:python[23]?|node|perl|ruby)\s{0,8}(?:-\s{0,8})?(?:$|[;&|)])`,
      "gim",
    ),
  },

  // --- Reading credentials.
  {
    id: "credential-access",
    severity: "high",
    message: "Reads private keys or cloud/tool credentials from the user's home folder.",
    pattern: new RegExp(
      String.raw`${HOME}[/\\]\.(?:ssh(?:[/\\](?:id_\w{1,40}(?![\w.-]|\.pub)|\*|identity\b|authorized_keys\b)|(?=[\s"'\`);|&]|$))|aws[/\\]credentials\b|aws(?=[\s"'\`);|&]|$)|netrc\b|git-credentials\b|docker[/\\]config\.json\b|kube[/\\]config\b|config[/\\]gcloud\b|azure\b|gnupg\b|password-store\b|npmrc\b|pypirc\b)`,
      "gim",
    ),
  },
  {
    id: "credential-access",
    severity: "high",
    message: "Reads secrets from the system keychain or keyring.",
    pattern:
      /\bsecurity\s{1,8}(?:find-(?:generic|internet)-password|dump-keychain|export)\b|\bsecret-tool\s{1,8}lookup\b|\blogin\.keychain(?:-db)?\b|\bkeyring\.get_password\b|\bcmdkey\s{1,8}\/list\b|\bCredRead\b/gi,
  },
  {
    id: "credential-access",
    severity: "high",
    message: "Reads a browser profile's saved passwords, cookies or keys.",
    pattern:
      /\b(?:Login Data|logins\.json|key4\.db|cookies\.sqlite|Local State)\b|(?:Google[/\\]Chrome|Chromium|BraveSoftware|Microsoft[/\\]Edge|\.mozilla[/\\]firefox|Firefox[/\\]Profiles)[/\\][^\n]{0,120}\b(?:Cookies|Web Data|Local Storage)\b/g,
  },
  {
    id: "credential-access",
    severity: "medium",
    message: "Reads a .env file, which usually holds secrets.",
    pattern:
      /\b(?:cat|less|more|head|tail|base64|xxd|type|Get-Content)\s(?:[^\n|;&]{0,80}?[\s/"'=@])?\.env(?![\w.-])|\b(?:cp|scp|rsync|mv)\s(?:[^\n|;&]{0,80}?[\s/"'=@])?\.env["']?[ \t]{1,8}[^\s-]|\b(?:open|readFile|readFileSync|read_text|read_bytes|Path)\s{0,4}\(\s{0,4}["'][^"'\n]{0,100}[/\\]?\.env["']/gim,
  },

  // --- Sending files or the environment to the network.
  {
    id: "exfiltration",
    severity: "high",
    message: "Sends the process environment (which holds tokens and keys) over the network.",
    pattern: new RegExp(
      String.raw`\b(?:env|printenv|set)\s{0,8}\|[^\n]{0,40}${NETWORK_TOOL}|${NETWORK_TOOL}[^\n]{0,160}\$\(\s{0,4}(?:env|printenv)\b|\b(?:fetch|axios\.post|request|got\.post|http\.request)\s{0,4}\([^\n]{0,160}\b(?:JSON\.stringify\(\s{0,4})?process\.env\b(?!\.|\[)|\brequests\.(?:post|put)\s{0,4}\([^\n]{0,160}\b(?:dict\()?os\.environ\b(?![.[])`,
      "gi",
    ),
  },
  {
    id: "exfiltration",
    severity: "high",
    message:
      "Opens a raw network connection from the shell (/dev/tcp or netcat reading a file), a common way to send data out or open a reverse shell.",
    pattern:
      /\/dev\/(?:tcp|udp)\/[\w.-]{1,253}\/\d{1,5}|\b(?:nc|ncat|netcat)\s[^\n|;&]{0,120}\s(?:<\s{0,4}\S|-e\s{1,4}\/bin\/)/gi,
  },
  {
    id: "exfiltration",
    severity: "high",
    message: "Uploads credentials or a home-folder secret to the network.",
    pattern: new RegExp(
      String.raw`${NETWORK_TOOL}[^\n]{0,160}(?:@|\$\(\s{0,4}cat\s{1,8})${HOME}[/\\]\.(?:ssh|aws|netrc|git-credentials|docker|kube|gnupg)\b|${HOME}[/\\]\.(?:ssh|aws|netrc|git-credentials|docker|kube|gnupg)\b[^\n|]{0,120}\|[^\n]{0,40}${NETWORK_TOOL}`,
      "gi",
    ),
  },
  {
    id: "exfiltration",
    severity: "medium",
    message: "Uploads a local file to a server; check where it goes and what it sends.",
    pattern:
      /\bcurl\b[^\n|;&]{0,160}\s(?:(?:-F|--form)\s{1,4}["']?[\w-]{1,40}=@|(?:-T|--upload-file)\s)|\b(?:scp|rsync)\s[^\n|;&]{0,160}\s[\w.-]{1,64}@[\w.-]{1,253}:/gi,
  },

  // --- Destructive commands on the home folder or the root.
  {
    id: "destructive",
    severity: "high",
    message: "Deletes the home folder or the file system root (or everything in it).",
    pattern: new RegExp(
      String.raw`\brm\s{1,8}(?:-{1,2}[\w-]{1,20}\s{1,8}){0,6}["']?(?:/|${HOME}|C:\\)["']?[/\\]?\*?["']?(?=\s|$|[;&|)])`,
      "gim",
    ),
  },
  {
    id: "destructive",
    severity: "high",
    message: "Recursively deletes the home folder or a drive root.",
    pattern:
      /\b(?:shutil\.rmtree|fs\.rmSync|fs\.rm|rimraf(?:\.sync)?)\s{0,4}\(\s{0,4}(?:os\.path\.expanduser\(\s{0,4}["']~["']\s{0,4}\)|os\.homedir\(\)|Path\.home\(\)|["'](?:\/|~|C:\\\\)["'])|\bRemove-Item\b[^\n]{0,80}-Recurse[^\n]{0,80}(?:\$env:USERPROFILE|\$HOME|~|C:\\)(?:\s|$|\\\*)/gim,
  },
  {
    id: "destructive",
    severity: "high",
    message: "Overwrites or formats a disk, or brings the system down.",
    pattern:
      /\bmkfs(?:\.\w{1,10})?\s[^\n]{0,60}\/dev\/|\bdd\s[^\n]{0,120}\bof=\/dev\/(?:sd|hd|nvme|disk|mmcblk|xvd)|:\(\)\s{0,4}\{\s{0,4}:\s{0,4}\|\s{0,4}:\s{0,4}&\s{0,4}\}\s{0,4};\s{0,4}:|\bchmod\s{1,8}-R\s{1,8}(?:777|000)\s{1,8}(?:\/|~)(?=\s|$)|\bfind\s{1,8}(?:\/|~|\$HOME)\s[^\n]{0,120}-delete\b/gim,
  },

  // --- Obfuscation: decoding something and running it.
  {
    id: "obfuscation",
    severity: "high",
    message: "Decodes hidden content and runs it (decode-then-execute).",
    pattern: new RegExp(
      String.raw`\bbase64\s{1,8}(?:-d|--decode|-D)\b[^\n]{0,160}\|\s{0,8}${SHELL}|\b(?:eval|exec)\s{0,4}["'(]?\s{0,4}"?\$\(\s{0,8}(?:echo|printf)\b[^\n]{0,160}\|\s{0,8}(?:base64|xxd|openssl)\b|\b(?:eval|Function)\s{0,4}\(\s{0,4}(?:atob|unescape|decodeURIComponent)\s{0,4}\(|\beval\s{0,4}\(\s{0,4}Buffer\.from\([^\n]{0,160}["']base64["']|\bexec\s{0,4}\(\s{0,4}(?:base64\.b64decode|codecs\.decode|zlib\.decompress|marshal\.loads|bytes\.fromhex)|-(?:EncodedCommand|enc|e)\s{1,4}[A-Za-z0-9+/]{40,}|FromBase64String[^\n]{0,160}\b(?:iex|Invoke-Expression)\b|\b(?:iex|Invoke-Expression)\b[^\n]{0,160}FromBase64String`,
      "gi",
    ),
  },

  // --- Instructions aimed at the agent: ignore the user, hide what it does.
  {
    id: "agent-injection",
    severity: "high",
    message: "Tells the agent to ignore the user's or earlier instructions.",
    pattern:
      /\b(?:ignore|disregard|forget|override)\s{1,4}(?:all\s{1,4}|any\s{1,4})?(?:of\s{1,4})?(?:the\s{1,4}|your\s{1,4})?(?:previous|prior|above|earlier|preceding|user'?s?|system|original)\s{1,4}(?:\w{1,20}\s{1,4}){0,2}?(?:instructions?|prompts?|messages?|rules|requests?|guidelines|directions)\b|\byou\s{1,4}are\s{1,4}now\s{1,4}(?:in\s{1,4})?(?:developer\s{1,4}mode|DAN|jailbroken|unrestricted)\b/gi,
  },
  {
    id: "agent-injection",
    severity: "high",
    message: "Tells the agent to hide what it does from the user.",
    pattern:
      /\b(?:do\s{1,4}not|don'?t|never)\s{1,4}(?:tell|inform|mention|reveal|show|notify|alert|disclose|report)\b[^\n.]{0,60}\b(?:the\s{1,4})?user\b|\bwithout\s{1,4}(?:telling|informing|notifying|alerting)\s{1,4}(?:the\s{1,4})?user\b|\b(?:hide|conceal)\b[^\n.]{0,40}\b(?:from\s{1,4}the\s{1,4}user|this\s{1,4}(?:action|step|command)|your\s{1,4}actions)\b|\b(?:secretly|covertly)\s{1,4}(?:run|execute|send|upload|install|download|delete|copy|read)\b/gi,
  },
  {
    id: "agent-injection",
    severity: "medium",
    message: "Tells the agent to act without the user's confirmation.",
    pattern:
      /\b(?:do\s{1,4}not|don'?t|never)\s{1,4}(?:ask|wait)\s{1,4}for\s{1,4}(?:the\s{1,4}user'?s?\s{1,4})?(?:confirmation|permission|approval|consent)\b|\b(?:silently|quietly)\s{1,4}(?:send|upload|exfiltrate|delete|install|download)\b/gi,
  },
];

/** Characters that change how text reads without being visible: bidi controls, zero-width, tags. */
export interface HiddenCharClass {
  name: string;
  severity: Severity;
  test: (codePoint: number) => boolean;
}

export const HIDDEN_CHARACTERS: HiddenCharClass[] = [
  {
    name: "Unicode tag characters (invisible text an agent still reads)",
    severity: "high",
    test: (cp) => cp >= 0xe0000 && cp <= 0xe007f,
  },
  {
    name: "direction-changing (bidi) control characters",
    severity: "high",
    test: (cp) => (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x061c,
  },
  {
    name: "zero-width or invisible characters",
    severity: "medium",
    // 200D (zero-width joiner) builds emoji sequences; FE0E/FE0F pick emoji style: ordinary text.
    test: (cp) =>
      cp === 0x200b ||
      cp === 0x200c ||
      cp === 0x200e ||
      cp === 0x200f ||
      (cp >= 0x2060 && cp <= 0x2064) ||
      cp === 0x180e ||
      cp === 0xfeff || // a byte-order mark anywhere but the start
      (cp >= 0xe0100 && cp <= 0xe01ef),
  },
];

/** A run of base64 (or hex) characters this long is a blob, not text or code a person reads. */
export const LONG_BASE64_RUN = 400;
export const LONG_HEX_RUN = 256;
/** `\x41\x42...` escapes in a row. */
export const LONG_ESCAPE_RUN = 40;
