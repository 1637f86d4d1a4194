/**
 * Task pane entry. In Excel, office.js (from Microsoft's CDN) is ready first; in a plain browser
 * (browser mode, or when the CDN is unreachable) the pane starts without the sheet features.
 */
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { createRoot } from 'react-dom/client';
import { detectHost, getBridge } from '../core/runtime.js';
import { OfficeWorkbook } from '../sheets/office-workbook.js';
import { App } from './App.js';

async function boot(): Promise<void> {
  const host = await detectHost();
  const client = getBridge();
  client.start();
  const workbook = host.excel ? new OfficeWorkbook() : undefined;
  document.documentElement.dataset.host = host.excel ? 'excel' : 'browser';
  const el = document.getElementById('root');
  if (!el) return;
  createRoot(el).render(
    <FluentProvider theme={webLightTheme} style={{ height: '100%' }}>
      <App client={client} workbook={workbook} />
    </FluentProvider>,
  );
}

void boot();
