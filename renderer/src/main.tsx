import './zod-jitless.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApi } from './api/index.js';
import { ApiProvider } from './app/api-context.js';
import { App } from './app/App.js';
import { RouterProvider } from './app/router.js';
import { ThemeProvider } from './app/theme-context.js';
import { NoTokenPage } from './pages/NoTokenPage.js';
import './styles/app.css';
import './styles/lineage-evals.css';

const api = createApi();
const root = createRoot(document.getElementById('root')!);
root.render(
  <StrictMode>
    <ThemeProvider>
      {api ? (
        <ApiProvider value={api}>
          <RouterProvider>
            <App />
          </RouterProvider>
        </ApiProvider>
      ) : (
        <NoTokenPage />
      )}
    </ThemeProvider>
  </StrictMode>,
);
