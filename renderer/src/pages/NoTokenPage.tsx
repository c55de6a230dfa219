/** Shown when the page was opened without the per-start token (e.g. a bookmarked URL). */
export function NoTokenPage() {
  return (
    <main className="content narrow">
      <h1>Open the workbench from its start URL</h1>
      <p>
        This page needs the access token the workbench prints when it starts. Look in the terminal where you ran{' '}
        <code>npm start</code> and open the full URL shown there.
      </p>
    </main>
  );
}
