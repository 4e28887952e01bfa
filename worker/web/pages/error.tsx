import { Layout } from "../layout";
import type { WebState } from "../session";

const TITLES: Record<number, string> = {
  400: "That request was not valid",
  401: "Log in first",
  403: "Not allowed",
  404: "Page not found",
  413: "Too large",
  415: "Unsupported form",
  429: "Too many attempts",
  500: "Something went wrong",
};

export function ErrorPage({ web, status, message }: { web: WebState; status: number; message: string }) {
  const title = TITLES[status] ?? "Request failed";
  return (
    <Layout title={title} web={web}>
      <div class="narrow">
        <h1>{title}</h1>
        <p class="lead">{message}</p>
        <p>
          <a href="/">Home</a> · <a href="/search">All skills</a>
        </p>
      </div>
    </Layout>
  );
}
