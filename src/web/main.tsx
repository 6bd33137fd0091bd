import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { ApiError } from './api-client.ts';
import { App } from './App.tsx';
import { ExternalPlugins } from './external-plugins.tsx';
import { collectExtensions, ExtensionsContext } from './plugin-api.ts';
import { installedWebPlugins } from './plugins.ts';
import { applyInitialTheme } from './theme.ts';
import './styles.css';

applyInitialTheme();

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // A 4xx will not get better by asking again; a flaky network might.
      retry: (count, error) =>
        count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
    },
  },
});

const extensions = collectExtensions(installedWebPlugins);
// The sign-in gate (the auth plugin's) decides whether the app or the sign-in page shows;
// external plugins load inside it, once the identity is known.
const Gate = extensions.appGate ?? (({ children }: { children: ReactNode }) => children);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ExtensionsContext.Provider value={extensions}>
        <BrowserRouter>
          <Gate>
            <ExternalPlugins builtIn={installedWebPlugins}>
              <App />
            </ExternalPlugins>
          </Gate>
        </BrowserRouter>
      </ExtensionsContext.Provider>
    </QueryClientProvider>
  </StrictMode>,
);
