/**
 * The ticket form's parameter fields and the sheet template are built from GET /api/algos alone:
 * fed a ticket type the add-in has never heard of ("sniper", with one parameter of every kind),
 * the form renders the right control per kind, the template gets the right columns, lists and
 * formats, the one row parser turns what a user types into the request, and a bridge error
 * `algo.<param>` lands on that parameter's field.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paramCell, paramHint, type AlgoDescriptor } from '../../addin/src/core/algos.js';
import { columnForField, parseBoletaRows } from '../../addin/src/sheets/boleta-rows.js';
import { OfficeWorkbook } from '../../addin/src/sheets/office-workbook.js';
import { createBoletaTemplate, paramList, templateHeader } from '../../addin/src/sheets/template.js';
import { AlgoParamsFields } from '../../addin/src/taskpane/components/AlgoParamsFields.js';
import type { AlgoType } from '../../common/types.js';
import { createFakeExcel, type FakeExcel } from './support/fake-excel.js';
import { CLIENTS, INSTRUMENTS } from './support/reference.js';

/** A ticket type that exists nowhere in the add-in's code. */
const SNIPER: AlgoDescriptor = {
  type: 'sniper' as AlgoType,
  label: 'Franco-atirador',
  description: 'Espera o preço e ataca',
  params: [
    {
      name: 'urgency',
      label: 'Urgência',
      kind: 'enum',
      required: false,
      default: 'low',
      options: [
        { value: 'low', label: 'Baixa' },
        { value: 'high', label: 'Alta' },
      ],
    },
    { name: 'stealth', label: 'Discreto', kind: 'boolean', required: false, default: false, help: 'Nunca mostra mais que um lote' },
    { name: 'notBefore', label: 'Não antes de', kind: 'time', required: true },
    { name: 'capShare', label: 'Teto de participação', kind: 'percent', required: false, min: 0.01, max: 1 },
    { name: 'shots', label: 'Disparos', kind: 'integer', required: false, min: 1, max: 10, default: 3 },
    { name: 'edgeTicks', label: 'Vantagem (ticks)', kind: 'number', required: false, min: 0 },
  ],
};
const ALGOS: AlgoDescriptor[] = [{ type: 'full', label: 'Ordem cheia', params: [] }, SNIPER];
const CTX = { algos: ALGOS, instruments: INSTRUMENTS, clients: CLIENTS };

/** The markup of one parameter's Field (up to the next one). */
function fieldHtml(html: string, name: string): string {
  const at = html.indexOf(`data-testid="param-field-${name}"`);
  expect(at, `field ${name} rendered`).toBeGreaterThan(-1);
  const next = html.indexOf('data-testid="param-field-', at + 10);
  return html.slice(at, next === -1 ? undefined : next);
}

describe('ticket form fields from a descriptor', () => {
  const render = (values: Record<string, string>, errors: Record<string, string> = {}) =>
    renderToStaticMarkup(createElement(AlgoParamsFields, { params: SNIPER.params, values, onChange: () => undefined, errorFor: (n: string) => errors[n] }));

  it('renders one control per parameter, chosen by its kind', () => {
    const html = render({});
    expect(fieldHtml(html, 'urgency')).toMatch(/role="combobox"/); // enum → Dropdown
    expect(fieldHtml(html, 'urgency')).toContain('Baixa'); // showing the default's label
    expect(fieldHtml(html, 'stealth')).toMatch(/role="switch"/); // boolean → Switch
    expect(fieldHtml(html, 'stealth')).toContain('Não');
    expect(fieldHtml(html, 'notBefore')).toContain('placeholder="hh:mm"');
    expect(fieldHtml(html, 'capShare')).toContain('%');
    expect(fieldHtml(html, 'shots')).toContain('inputMode="numeric"');
    expect(fieldHtml(html, 'edgeTicks')).toContain('inputMode="decimal"');
    for (const p of SNIPER.params) expect(fieldHtml(html, p.name)).toContain(p.label);
  });

  it('shows the range in % for a fractional percent and the default in words', () => {
    expect(paramHint(SNIPER.params[3]!)).toBe('Entre 1 e 100 %.');
    expect(paramHint(SNIPER.params[0]!)).toBe('Padrão: Baixa.');
    expect(paramHint(SNIPER.params[1]!)).toBe('Nunca mostra mais que um lote Padrão: não.');
    expect(paramHint(SNIPER.params[4]!)).toBe('Entre 1 e 10. Padrão: 3.');
    // Large bounds and defaults read in pt-BR: 600.000, not 600000.
    expect(paramHint({ name: 'minRepriceMs', label: 'Intervalo', kind: 'integer', required: false, min: 0, max: 600_000, default: 1000 })).toBe('Entre 0 e 600.000. Padrão: 1.000.');
  });

  it('puts an error on its own field and nowhere else', () => {
    const html = render({ shots: '12' }, { shots: 'Disparos: 12 fora do intervalo (entre 1 e 10)' });
    expect(fieldHtml(html, 'shots')).toContain('12 fora do intervalo');
    for (const p of SNIPER.params.filter((x) => x.name !== 'shots')) expect(fieldHtml(html, p.name)).not.toContain('fora do intervalo');
  });

  it('reflects what the user chose: an enum option and a switch turned on', () => {
    const html = render({ urgency: 'high', stealth: 'sim' });
    expect(fieldHtml(html, 'urgency')).toContain('Alta');
    expect(fieldHtml(html, 'stealth')).toMatch(/checked=""/);
    expect(fieldHtml(html, 'stealth')).toContain('Sim');
  });
});

describe('one parser for the form and the sheet', () => {
  const header = ['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Tipo', 'Preço limite', ...SNIPER.params.map((p) => p.label)];
  const parse = (params: Array<string | number>) =>
    parseBoletaRows({ header, rows: [['CLI1', 'PETR4', 'C', 500, 'Franco-atirador', '36,50', ...params]], firstSheetRow: 1 }, CTX).rows[0]!;

  it('turns typed text into the request: enum by label, sim/não, 9h30, 10 %, defaults for blanks', () => {
    const row = parse(['Alta', 'Sim', '9h30', '10%', '', '']);
    expect(row.errors).toEqual([]);
    expect(row.request!.algo).toEqual({ type: 'sniper', urgency: 'high', stealth: true, notBefore: '09:30', capShare: 0.1, shots: 3 });
  });

  it('the form sends "10" typed beside its % sign as 10 %', () => {
    const cap = SNIPER.params[3]!;
    expect(paramCell(cap, '10')).toBe('10%');
    expect(paramCell(cap, '')).toBe('');
    const row = parse(['', '', '10:00', paramCell(cap, '25'), '', '']);
    expect(row.request!.algo).toMatchObject({ urgency: 'low', stealth: false, capShare: 0.25 });
  });

  it('names the column of a bad value: an unknown option, a missing required time, a percent above 100', () => {
    const bad = parse(['Média', '', '', '150%', '', '']);
    expect(bad.state).toBe('invalid');
    const byColumn = Object.fromEntries(bad.errors.map((e) => [e.column, e.message]));
    expect(byColumn['Urgência']).toContain('"Média" não é uma opção (Baixa, Alta)');
    expect(byColumn['Não antes de']).toContain('obrigatório para Franco-atirador');
    expect(byColumn['Teto de participação']).toContain('fora do intervalo');
  });

  it('maps the bridge error algo.<param> (and rows[n].algo.<param>) to that parameter', () => {
    const cols = parseBoletaRows({ header, rows: [], firstSheetRow: 1 }, CTX).columns;
    expect(columnForField('algo.shots', cols, ALGOS)).toBe('Disparos');
    expect(columnForField('rows[3].algo.notBefore', cols, ALGOS)).toBe('Não antes de');
  });
});

describe('sheet template from a descriptor', () => {
  let fx: FakeExcel;
  beforeEach(() => {
    fx = createFakeExcel();
    (globalThis as Record<string, unknown>).Excel = fx.Excel;
  });
  afterEach(() => {
    delete (globalThis as Record<string, unknown>).Excel;
  });

  it('adds one column per parameter, with the enum and yes/no lists and the time and % formats', async () => {
    const res = await createBoletaTemplate(new OfficeWorkbook(), { algos: ALGOS, instruments: INSTRUMENTS, clients: CLIENTS });
    expect(res.header).toEqual(templateHeader(ALGOS));
    expect(res.header.slice(6, 12)).toEqual(['Urgência', 'Discreto', 'Não antes de', 'Teto de participação', 'Disparos', 'Vantagem (ticks)']);
    const sheet = fx.sheet('Boletas')!;
    const ruleAt = (col: number) => JSON.stringify(sheet.validations.find((v) => v.rect.left === col)?.rule ?? null);
    expect(ruleAt(6)).toContain('Baixa,Alta');
    expect(ruleAt(7)).toContain('Sim,Não');
    expect(ruleAt(8)).toBe('null');
    const many = { ...SNIPER.params[0]!, options: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, label: `Opção número ${i}` })) };
    expect(paramList(many)).toBeUndefined(); // longer than Excel's inline list allows: typed text, checked by the parser
    const formatAt = (col: number) => sheet.formats.get(`1,${col}`);
    expect(formatAt(8)).toBe('@'); // "10:30" stays the text typed
    expect(formatAt(9)).toBe('0.0%');
    expect(formatAt(10)).toBe('#,##0');
    // what a user picks from the template's lists parses back to the request
    const row = parseBoletaRows(
      { header: res.header, rows: [['CLI2', 'VALE3', 'V', 300, 'Franco-atirador', 'MERCADO', 'Alta', 'Não', '10:30', 0.2, 5, '']], firstSheetRow: 1 },
      CTX,
    ).rows[0]!;
    expect(row.errors).toEqual([]);
    expect(row.request!.algo).toEqual({ type: 'sniper', urgency: 'high', stealth: false, notBefore: '10:30', capShare: 0.2, shots: 5 });
  });
});
