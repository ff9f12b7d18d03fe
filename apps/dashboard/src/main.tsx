import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { cspNonce, nonceOwnStyleElements } from './app/csp';

const nonce = cspNonce();
nonceOwnStyleElements(nonce);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App nonce={nonce} />
  </StrictMode>,
);
