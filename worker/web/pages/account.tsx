// Logging in, and the account page: tokens with their last use, create one (shown once), revoke one.
import type { Publisher, TokenInfo } from "../../domain/accounts";
import type { Role } from "../../domain/orgs";
import type { SkillSummary } from "../../domain/skills";
import { Command, DateTime, Notice, SkillList } from "../components";
import { Layout } from "../layout";
import type { WebState } from "../session";

export function LoginPage({
  web,
  origin,
  error,
  handleOrEmail = "",
  next = "",
}: {
  web: WebState;
  origin: string;
  error?: string;
  handleOrEmail?: string;
  next?: string;
}) {
  return (
    <Layout title="Log in" web={web}>
      <div class="narrow">
        <h1>Log in</h1>
        <p class="lead">Manage your publish tokens.</p>
        {error ? <Notice kind="error" title={error} /> : null}
        <form class="card" action="/login" method="post">
          <input type="hidden" name="csrf" value={web.csrf} />
          {next ? <input type="hidden" name="next" value={next} /> : null}
          <div class="field">
            <label for="handleOrEmail">Handle or email</label>
            <input
              id="handleOrEmail"
              name="handleOrEmail"
              type="text"
              autocomplete="username"
              autocapitalize="none"
              spellcheck={false}
              required
              value={handleOrEmail}
            />
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
          </div>
          <button type="submit">Log in</button>
        </form>
        <p class="muted">No account yet? Create one from a terminal:</p>
        <Command text={`skild signup --registry ${origin}`} />
      </div>
    </Layout>
  );
}

export interface AccountPageProps {
  web: WebState;
  publisher: Publisher;
  tokens: TokenInfo[];
  /** A token just created: shown this once. */
  created?: { token: string; name: string };
  notice?: string;
  error?: string;
  /** The organisations the account belongs to. */
  orgs?: { name: string; role: Role }[];
  /** Restricted skills the account can read (its own, its orgs', granted ones). */
  privateSkills?: SkillSummary[];
}

export function AccountPage({
  web,
  publisher,
  tokens,
  created,
  notice,
  error,
  orgs = [],
  privateSkills = [],
}: AccountPageProps) {
  return (
    <Layout title="Account" web={web}>
      <h1>Account</h1>
      <p class="lead">
        Signed in as <a href={`/~${publisher.handle}`}>~{publisher.handle}</a> ({publisher.email}) · member since{" "}
        <DateTime iso={publisher.createdAt} />
      </p>
      {created ? (
        <div class="notice ok" role="status">
          <strong>New token “{created.name}” created. Copy it now: it will not be shown again.</strong>
          <code class="token-once" id="new-token">
            {created.token}
          </code>
        </div>
      ) : null}
      {notice ? <Notice kind="ok" title={notice} /> : null}
      {error ? <Notice kind="error" title={error} /> : null}

      <section aria-labelledby="tokens-title">
        <h2 id="tokens-title">Access tokens</h2>
        {tokens.length ? (
          <div class="table-scroll card">
            <table class="tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Token</th>
                  <th scope="col">Access</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr>
                    <td>{t.name || <span class="muted">(unnamed)</span>}</td>
                    <td>
                      <code>{t.prefix}…</code>
                    </td>
                    <td>{t.readonly ? "read-only" : "publish"}</td>
                    <td>
                      <DateTime iso={t.createdAt} />
                    </td>
                    <td>{t.lastUsedAt ? <DateTime iso={t.lastUsedAt} /> : <span class="muted">never</span>}</td>
                    <td>
                      <form action={`/account/tokens/${t.id}/revoke`} method="post">
                        <input type="hidden" name="csrf" value={web.csrf} />
                        <button class="danger" type="submit" aria-label={`Revoke token ${t.name || t.prefix}`}>
                          Revoke
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="empty card">No active tokens.</p>
        )}
      </section>

      <section aria-labelledby="orgs-title">
        <h2 id="orgs-title">Organisations</h2>
        {orgs.length ? (
          <ul class="orgs card">
            {orgs.map((org) => (
              <li>
                <a href={`/~${org.name}`}>~{org.name}</a> <span class="muted">({org.role})</span>
              </li>
            ))}
          </ul>
        ) : (
          <p class="empty card">You are not a member of any organisation.</p>
        )}
        <form class="card" action="/account/orgs" method="post">
          <input type="hidden" name="csrf" value={web.csrf} />
          <div class="inline-fields">
            <div class="field">
              <label for="org-name">New organisation</label>
              <input id="org-name" name="name" type="text" maxlength={32} required autocapitalize="none" />
            </div>
            <button type="submit">Create organisation</button>
          </div>
        </form>
      </section>

      {privateSkills.length ? (
        <section aria-labelledby="private-title">
          <h2 id="private-title">Private skills you can read</h2>
          <SkillList skills={privateSkills} />
        </section>
      ) : null}

      <section aria-labelledby="create-title">
        <h2 id="create-title">Create a token</h2>
        <form class="card" action="/account/tokens" method="post">
          <input type="hidden" name="csrf" value={web.csrf} />
          <div class="inline-fields">
            <div class="field">
              <label for="token-name">Name</label>
              <input id="token-name" name="name" type="text" maxlength={64} placeholder="e.g. CI publish" />
            </div>
            <fieldset class="field">
              <legend class="sr-only">Access</legend>
              <div class="choice">
                <label>
                  <input type="radio" name="access" value="publish" checked /> Publish
                </label>
                <label>
                  <input type="radio" name="access" value="read-only" /> Read-only
                </label>
              </div>
            </fieldset>
            <button type="submit">Create token</button>
          </div>
        </form>
      </section>
    </Layout>
  );
}

export function LogoutPage({ web }: { web: WebState }) {
  return (
    <Layout title="Log out" web={web}>
      <div class="narrow">
        <h1>Log out</h1>
        {web.viewer ? (
          <form class="card" action="/logout" method="post">
            <input type="hidden" name="csrf" value={web.csrf} />
            <p>Log out of ~{web.viewer.handle} in this browser? Your tokens keep working.</p>
            <button type="submit">Log out</button>
          </form>
        ) : (
          <p class="card">
            You are not logged in. <a href="/login">Log in</a>
          </p>
        )}
      </div>
    </Layout>
  );
}
