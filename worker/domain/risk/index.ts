// The risk scan as the rest of the registry sees it: run at publish, stored with the version, read
// back for the version document, search results and pages.
import type { SkillName } from "../names";
import { type Risk, type RiskLevel, SCANNER_VERSION, type ScanFile, scanFiles } from "./scan";

export type { Risk, RiskFinding, RiskLevel } from "./scan";
export { SCANNER_VERSION } from "./scan";

/**
 * Where clocks advance (not inside a Worker request; see scan.ts) a scan also stops after this long.
 * The byte budget is what bounds it in production.
 */
const SCAN_DEADLINE_MS = 2_000;

/** Scans a version's files at publish. */
export function scanVersion(files: ScanFile[]): Risk {
  return scanFiles(files, { deadlineMs: Date.now() + SCAN_DEADLINE_MS });
}

/** The statement that stores a scan with its version; runs in the publish batch after the version row's insert. */
export function storeRiskStatement(db: D1Database, skill: SkillName, version: string, risk: Risk): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE versions SET risk_level = ?4, risk_json = ?5, scanner_version = ?6
       WHERE skill_id = (SELECT id FROM skills WHERE scope = ?1 AND name = ?2) AND version = ?3`,
    )
    .bind(skill.scope, skill.name, version, risk.level, JSON.stringify(risk), SCANNER_VERSION);
}

/** A stored scan, or null for a version published before the scanner (or with the scan turned off). */
export function parseStoredRisk(json: string | null | undefined): Risk | null {
  if (!json) return null;
  try {
    const risk = JSON.parse(json) as Risk;
    return risk && typeof risk.level === "string" && Array.isArray(risk.findings) ? risk : null;
  } catch {
    return null;
  }
}

/** A live version's stored scan (null when unscanned); for pages that do not hold the version row. */
export async function readStoredRisk(db: D1Database, skill: SkillName, version: string): Promise<Risk | null> {
  const row = await db
    .prepare(
      `SELECT v.risk_json FROM versions v JOIN skills s ON s.id = v.skill_id
       WHERE s.scope = ? AND s.name = ? AND v.version = ? AND v.unpublished_at IS NULL`,
    )
    .bind(skill.scope, skill.name, version)
    .first<{ risk_json: string | null }>();
  return parseStoredRisk(row?.risk_json);
}

const LEVELS: ReadonlySet<string> = new Set(["none", "low", "medium", "high"]);
export const asRiskLevel = (raw: unknown): RiskLevel | null =>
  typeof raw === "string" && LEVELS.has(raw) ? (raw as RiskLevel) : null;
