// An organisation's page (/~<org>): its skills (members also see the private ones, marked), and for
// members its members and teams; owners and admins get a form to add or change a member.
import type { Org, Role } from "../../domain/orgs";
import type { SkillSummary } from "../../domain/skills";
import { DateTime, Notice, SkillList } from "../components";
import { Layout } from "../layout";
import type { WebState } from "../session";

export interface OrgPageProps {
  web: WebState;
  org: Org;
  skills: SkillSummary[];
  nextAfter: string | null;
  paged: boolean;
  /** The viewer's role, when a member; members and teams are shown only then. */
  role: Role | null;
  members: { handle: string; role: Role }[];
  teams: string[];
  notice?: string;
}

export function OrgPage({ web, org, skills, nextAfter, paged, role, members, teams, notice }: OrgPageProps) {
  const manages = role === "owner" || role === "admin";
  return (
    <Layout title={`~${org.name}`} web={web}>
      <h1>~{org.name}</h1>
      <p class="lead">
        Organisation publishing <code>@{org.name}/*</code> skills · since <DateTime iso={org.createdAt} />
        {role ? ` · you are ${role === "developer" ? "a" : "an"} ${role}` : ""}
      </p>
      {notice ? <Notice kind="ok" title={notice} /> : null}
      {skills.length ? (
        <SkillList skills={skills} headingLevel={2} />
      ) : (
        <p class="empty card">{paged ? "No more skills." : `~${org.name} has not published any skills yet.`}</p>
      )}
      <nav class="pager" aria-label="Pages">
        <span>{paged ? <a href={`/~${org.name}`}>← First page</a> : null}</span>
        <span>
          {nextAfter ? <a href={`/~${org.name}?${new URLSearchParams({ after: nextAfter })}`}>Next page →</a> : null}
        </span>
      </nav>
      {role ? (
        <>
          <section aria-labelledby="members-title">
            <h2 id="members-title">Members</h2>
            <div class="table-scroll card">
              <table class="members">
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    <th scope="col">Role</th>
                  </tr>
                </thead>
                <tbody>
                  {members.map((m) => (
                    <tr>
                      <td>
                        <a href={`/~${m.handle}`}>~{m.handle}</a>
                      </td>
                      <td>{m.role}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section aria-labelledby="teams-title">
            <h2 id="teams-title">Teams</h2>
            <ul class="teams">
              {teams.map((team) => (
                <li>
                  <code>
                    {org.name}:{team}
                  </code>
                </li>
              ))}
            </ul>
          </section>
          {manages ? (
            <section aria-labelledby="add-member-title">
              <h2 id="add-member-title">Add or change a member</h2>
              <form class="card" action={`/~${org.name}/members`} method="post">
                <input type="hidden" name="csrf" value={web.csrf} />
                <div class="inline-fields">
                  <div class="field">
                    <label for="member-handle">Handle</label>
                    <input id="member-handle" name="handle" type="text" maxlength={32} required autocapitalize="none" />
                  </div>
                  <div class="field">
                    <label for="member-role">Role</label>
                    <select id="member-role" name="role">
                      <option value="developer">developer</option>
                      <option value="admin">admin</option>
                      {role === "owner" ? <option value="owner">owner</option> : null}
                    </select>
                  </div>
                  <button type="submit">Save member</button>
                </div>
              </form>
            </section>
          ) : null}
        </>
      ) : null}
    </Layout>
  );
}
