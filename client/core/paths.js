// Paths as people read them: relative inside the project, `~/…` under the home folder.
import os from "node:os";
import path from "node:path";

/** @param {string} p @param {string} cwd */
export function displayPath(p, cwd) {
  const rel = path.relative(cwd, p);
  if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) return rel;
  const home = os.homedir();
  const fromHome = path.relative(home, p);
  if (fromHome && !fromHome.startsWith("..") && !path.isAbsolute(fromHome)) return path.join("~", fromHome);
  return p;
}
