import { OverviewPage } from '../pages/OverviewPage.js';

/** The application shell: navigation on the left, the current page on the right. */
export function App() {
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>MoE Workbench</span>
        </div>
        <ul>
          <li>
            <a href="#/" aria-current="page">
              Overview
            </a>
          </li>
        </ul>
      </nav>
      <main className="content">
        <OverviewPage />
      </main>
    </div>
  );
}
