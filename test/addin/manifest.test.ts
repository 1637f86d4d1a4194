/**
 * manifest.xml checked offline (Microsoft's online validator is unreachable here; `npm run
 * validate` runs it on a machine with internet): well-formed, the elements a shared runtime,
 * custom functions and ribbon commands need, consistent resource ids, and every URL and icon it
 * names actually served by the bridge from the built add-in.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { OfficeAddinManifest } from 'office-addin-manifest';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDIN_DIST, ensureAddinBuilt, ROOT } from '../../scripts/ensure-addin-built.js';
import { all, child, children, parseXml, path as at, type XmlNode } from './support/xml.js';

const MANIFEST = path.join(ROOT, 'manifest.xml');
const DEV_ORIGIN = 'https://localhost:3000';
const xml = readFileSync(MANIFEST, 'utf8');
const doc = parseXml(xml);

function resources(kind: 'bt:Images' | 'bt:Urls' | 'bt:ShortStrings' | 'bt:LongStrings'): Map<string, string> {
  const res = at(doc, 'VersionOverrides', 'Resources', kind);
  return new Map((res?.children ?? []).map((n) => [n.attrs.id!, n.attrs.DefaultValue!]));
}

const workbookHost = () => children(at(doc, 'VersionOverrides', 'Hosts')!, 'Host').find((h) => h.attrs['xsi:type'] === 'Workbook')!;

describe('manifest.xml (offline checks)', () => {
  it('is well-formed and readable by office-addin-manifest', async () => {
    const info = await OfficeAddinManifest.readManifestFile(MANIFEST);
    expect(info.displayName).toBe('BlackBox');
    expect(info.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(info.defaultLocale).toBe('pt-BR');
    expect(doc.name).toBe('OfficeApp');
    expect(doc.attrs['xsi:type']).toBe('TaskPaneApp');
  });

  it('targets Excel and requires the shared runtime and the custom functions runtime', () => {
    expect(children(child(doc, 'Hosts')!, 'Host').map((h) => h.attrs.Name)).toEqual(['Workbook']);
    const sets = at(doc, 'Requirements', 'Sets')!;
    expect(children(sets, 'Set').find((s) => s.attrs.Name === 'SharedRuntime')?.attrs.MinVersion).toBe('1.1');
    // Microsoft's guidance for custom functions in a shared runtime: require both.
    expect(children(sets, 'Set').find((s) => s.attrs.Name === 'CustomFunctionsRuntime')?.attrs.MinVersion).toBe('1.1');
    expect(child(doc, 'Permissions')!.text.trim()).toBe('ReadWriteDocument');
  });

  it('runs task pane, functions and commands in one long-lived runtime', () => {
    const host = workbookHost();
    expect(host.children[0]!.name).toBe('Runtimes'); // must come first
    const runtimes = children(child(host, 'Runtimes')!, 'Runtime');
    expect(runtimes).toHaveLength(1);
    expect(runtimes[0]!.attrs).toMatchObject({ resid: 'Taskpane.Url', lifetime: 'long' });
    const cf = children(child(host, 'AllFormFactors')!, 'ExtensionPoint').find((e) => e.attrs['xsi:type'] === 'CustomFunctions')!;
    expect(at(cf, 'Script', 'SourceLocation')!.attrs.resid).toBe('Functions.Script.Url');
    expect(at(cf, 'Page', 'SourceLocation')!.attrs.resid).toBe('Taskpane.Url');
    expect(at(cf, 'Metadata', 'SourceLocation')!.attrs.resid).toBe('Functions.Metadata.Url');
    expect(resources('bt:ShortStrings').get(child(cf, 'Namespace')!.attrs.resid!)).toBe('BLACKBOX');
    expect(at(host, 'DesktopFormFactor', 'FunctionFile')!.attrs.resid).toBe('Taskpane.Url');
    expect(resources('bt:Urls').get('Taskpane.Url')).toBe(`${DEV_ORIGIN}/taskpane.html`);
    expect(at(doc, 'DefaultSettings', 'SourceLocation')!.attrs.DefaultValue).toBe(`${DEV_ORIGIN}/taskpane.html`);
  });

  it('puts "Abrir BlackBox" and "PÂNICO" on the ribbon', () => {
    const host = workbookHost();
    const controls = all(host, (n) => n.name === 'Control');
    const labelOf = (c: XmlNode) => resources('bt:ShortStrings').get(child(c, 'Label')!.attrs.resid!);
    const open = controls.find((c) => labelOf(c) === 'Abrir BlackBox')!;
    const panic = controls.find((c) => labelOf(c) === 'PÂNICO')!;
    expect(child(open, 'Action')!.attrs['xsi:type']).toBe('ShowTaskpane');
    expect(at(open, 'Action', 'SourceLocation')!.attrs.resid).toBe('Taskpane.Url');
    expect(child(panic, 'Action')!.attrs['xsi:type']).toBe('ExecuteFunction');
    expect(at(panic, 'Action', 'FunctionName')!.text.trim()).toBe('panic');
    for (const c of [open, panic]) {
      expect(children(child(c, 'Icon')!, 'bt:Image').map((i) => i.attrs.size)).toEqual(['16', '32', '80']);
    }
  });

  it('names only resource ids that exist, and every URL on the bridge origin', () => {
    const defined = new Set([...resources('bt:Images').keys(), ...resources('bt:Urls').keys(), ...resources('bt:ShortStrings').keys(), ...resources('bt:LongStrings').keys()]);
    const used = all(at(doc, 'VersionOverrides', 'Hosts')!, (n) => 'resid' in n.attrs).map((n) => n.attrs.resid!);
    expect(used.length).toBeGreaterThan(10);
    for (const r of used) expect(defined, `resid ${r}`).toContain(r);
    const urls = [...xml.matchAll(/(?:DefaultValue|Url)="(https?:[^"]+)"/g)].map((m) => m[1]!);
    for (const u of urls) expect(u.startsWith(`${DEV_ORIGIN}/`), u).toBe(true);
    expect(children(child(doc, 'AppDomains')!, 'AppDomain').map((d) => d.text.trim())).toContain(DEV_ORIGIN);
  });
});

describe('everything the manifest names is served by the bridge', () => {
  let bridge: { url: string; token: string; close(): Promise<void> } | undefined;
  let dataDir: string;
  beforeAll(async () => {
    ensureAddinBuilt();
    dataDir = mkdtempSync(path.join(tmpdir(), 'bb-manifest-'));
    const { startBridge } = await import('../../bridge/app.js');
    bridge = await startBridge({ port: 0, dataDir, seed: 1, quiet: true, addinDir: ADDIN_DIST } as Parameters<typeof startBridge>[0]);
  }, 240_000);
  afterAll(async () => {
    await bridge?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every URL and icon answers 200 with the right content type', async () => {
    const urls = new Set([...xml.matchAll(/DefaultValue="(https:\/\/localhost:3000\/[^"]*)"/g)].map((m) => m[1]!));
    expect(urls.size).toBeGreaterThanOrEqual(10);
    for (const u of urls) {
      const local = u.replace(DEV_ORIGIN, bridge!.url);
      const res = await fetch(local);
      expect(res.status, local).toBe(200);
      const type = res.headers.get('content-type') ?? '';
      if (u.endsWith('.png')) {
        expect(type).toContain('image/png');
        const buf = Buffer.from(await res.arrayBuffer());
        expect(buf.subarray(1, 4).toString()).toBe('PNG');
        const size = Number(/-(\d+)\.png$/.exec(u)![1]);
        expect(buf.readUInt32BE(16)).toBe(size); // IHDR width
      } else if (u.endsWith('.json')) expect(type).toContain('json');
      else if (u.endsWith('.js')) expect(type).toContain('javascript');
      else if (u.endsWith('.html')) expect(type).toContain('text/html');
    }
  });

  it('functions.json declares the pt-BR streaming functions that functions.js associates', async () => {
    const meta = (await (await fetch(`${bridge!.url}/functions.json`)).json()) as {
      functions: Array<{ id: string; options?: { stream?: boolean }; result: { dimensionality?: string }; parameters: Array<{ name: string; optional?: boolean }> }>;
    };
    const byId = new Map(meta.functions.map((f) => [f.id, f]));
    expect([...byId.keys()].sort()).toEqual(['COTACAO', 'ORDEM', 'ORDENS', 'POSICOES', 'SALDO']);
    for (const f of meta.functions) expect(f.options?.stream, f.id).toBe(true);
    for (const id of ['POSICOES', 'ORDENS', 'SALDO']) expect(byId.get(id)!.result.dimensionality).toBe('matrix');
    expect(byId.get('COTACAO')!.parameters.map((p) => p.name)).toEqual(['ativo', 'campo']);
    expect(byId.get('ORDENS')!.parameters.every((p) => p.optional)).toBe(true);
    const js = await (await fetch(`${bridge!.url}/functions.js`)).text();
    for (const id of byId.keys()) expect(js).toContain(`CustomFunctions.associate("${id}"`);
  });

  it('functions.json gives COTACAO campo, ORDENS status and ORDEM campo their lists (custom enums)', async () => {
    const meta = (await (await fetch(`${bridge!.url}/functions.json`)).json()) as {
      enums?: Array<{ id: string; type: string; values: Array<{ name: string; stringValue: string; tooltip: string }> }>;
      functions: Array<{ id: string; parameters: Array<{ name: string; customEnumId?: string; optional?: boolean }> }>;
    };
    const param = (fn: string, name: string) => meta.functions.find((f) => f.id === fn)!.parameters.find((p) => p.name === name)!;
    expect(param('COTACAO', 'campo').customEnumId).toBe('CampoCotacao');
    expect(param('ORDENS', 'status')).toMatchObject({ customEnumId: 'StatusOrdens', optional: true });
    expect(param('ORDEM', 'campo').customEnumId).toBe('CampoOrdem');
    const byId = new Map((meta.enums ?? []).map((e) => [e.id, e]));
    expect(byId.get('CampoCotacao')!.values.map((v) => v.stringValue)).toEqual(['ULT', 'ABE', 'MAX', 'MIN', 'FEC', 'VAR', 'VARPTS', 'MED', 'NEG', 'QTT', 'VOL', 'OCP', 'OVD', 'VOC', 'VOV', 'HOR', 'DAT']);
    expect(byId.get('CampoCotacao')!.values[0]!.tooltip).toBe('Último preço');
    expect(byId.get('StatusOrdens')!.values.map((v) => v.stringValue)).toContain('Em execução');
  });

  it('taskpane.html says in pt-BR, before any bundle runs, when the host cannot run the add-in (IE11, no WebView2)', async () => {
    const html = await (await fetch(`${bridge!.url}/taskpane.html`)).text();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    const probe = scripts[0]!;
    // The probe itself is ES5: no token of later syntax outside its string literals.
    const scanner = ts.createScanner(ts.ScriptTarget.ES5, false, ts.LanguageVariant.Standard, probe);
    const later = new Set([
      ts.SyntaxKind.EqualsGreaterThanToken, ts.SyntaxKind.LetKeyword, ts.SyntaxKind.ConstKeyword, ts.SyntaxKind.ClassKeyword,
      ts.SyntaxKind.NoSubstitutionTemplateLiteral, ts.SyntaxKind.TemplateHead, ts.SyntaxKind.QuestionDotToken,
      ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.DotDotDotToken, ts.SyntaxKind.AsyncKeyword,
    ]);
    for (let t = scanner.scan(); t !== ts.SyntaxKind.EndOfFileToken; t = scanner.scan()) expect(later.has(t), scanner.getTokenText()).toBe(false);
    const run = (globals: Record<string, unknown>) => {
      const root = { innerHTML: '<div class="boot">Carregando BlackBox…</div>' };
      const win: Record<string, unknown> = { ...globals };
      const Fn = globals.Function as FunctionConstructor;
      vm.runInNewContext(probe, { window: win, document: { getElementById: () => root }, Promise: globals.Promise, Function: Fn });
      return { root, win };
    };
    // An engine that cannot parse the bundle's syntax (what IE11 does with ES2022): the message, in Portuguese.
    const ie = run({
      Function: function () {
        throw new SyntaxError('Sintaxe inválida');
      },
    });
    expect(ie.root.innerHTML).toContain('Este Excel não consegue abrir o BlackBox');
    expect(ie.root.innerHTML).toContain('WebView2');
    expect(ie.win.__BLACKBOX_UNSUPPORTED__).toBe(true);
    // A modern engine: nothing changes, the bundle takes over.
    const modern = run({ Promise, fetch: () => undefined, Function });
    expect(modern.root.innerHTML).toBe('<div class="boot">Carregando BlackBox…</div>');
    // The bundles are deferred, so the probe (inline, in the body) runs before any of them.
    const bundles = [...html.matchAll(/<script[^>]*src=["']?(?:taskpane|functions|commands)\.js[^>]*>/g)].map((m) => m[0]);
    expect(bundles).toHaveLength(3);
    for (const tag of bundles) expect(tag).toMatch(/\bdefer\b/);
  });

  it('taskpane.html loads Office.js from the CDN and the three bundles of the shared runtime', async () => {
    const html = await (await fetch(`${bridge!.url}/taskpane.html`)).text();
    expect(html).toContain('https://appsforoffice.microsoft.com/lib/1/hosted/office.js');
    for (const s of ['taskpane.js', 'functions.js', 'commands.js']) expect(html).toMatch(new RegExp(`src=["']?${s.replace('.', '\\.')}`));
    const commands = await (await fetch(`${bridge!.url}/commands.js`)).text();
    expect(commands).toContain('"panic"');
    expect(commands).toContain('"openBlackBox"');
  });

  it('serves browser mode at the root without Office.js, so the pane opens with no route to the CDN', async () => {
    const res = await fetch(`${bridge!.url}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('appsforoffice');
    expect(html).toMatch(/src=["']?taskpane\.js/);
    expect(html).not.toMatch(/functions\.js|commands\.js/);
  });
});
