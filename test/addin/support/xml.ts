/** A strict little XML reader for our own manifest: elements, attributes, text; throws when not well-formed. */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    if (!(e in ENTITIES)) throw new Error(`unknown entity ${m}`);
    return ENTITIES[e]!;
  });

export function parseXml(src: string): XmlNode {
  let i = 0;
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const fail = (msg: string): never => {
    const line = src.slice(0, i).split('\n').length;
    throw new Error(`XML not well-formed at line ${line}: ${msg}`);
  };
  while (i < src.length) {
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i);
      if (end < 0) fail('unterminated declaration');
      i = end + 2;
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      if (src.slice(i + 4, end).includes('--')) fail('"--" inside a comment');
      i = end + 3;
    } else if (src.startsWith('</', i)) {
      const end = src.indexOf('>', i);
      const name = src.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.name !== name) fail(`closing </${name}> does not match <${top?.name}>`);
      i = end + 1;
    } else if (src[i] === '<') {
      const m = /^<([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(src.slice(i));
      if (!m) fail('bad tag');
      const attrs: Record<string, string> = {};
      for (const a of m![2]!.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1]! in attrs) fail(`duplicate attribute ${a[1]}`);
        attrs[a[1]!] = decode(a[2] ?? a[3] ?? '');
      }
      const node: XmlNode = { name: m![1]!, attrs, children: [], text: '' };
      stack[stack.length - 1]!.children.push(node);
      if (!m![3]) stack.push(node);
      i += m![0].length;
    } else {
      const end = src.indexOf('<', i);
      const text = src.slice(i, end < 0 ? src.length : end);
      if (stack.length === 1 && text.trim()) fail('text outside the root element');
      stack[stack.length - 1]!.text += decode(text);
      i = end < 0 ? src.length : end;
    }
  }
  if (stack.length !== 1) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) fail('exactly one root element expected');
  return root.children[0]!;
}

export function child(n: XmlNode, name: string): XmlNode | undefined {
  return n.children.find((c) => c.name === name);
}

export function children(n: XmlNode, name: string): XmlNode[] {
  return n.children.filter((c) => c.name === name);
}

export function path(n: XmlNode, ...names: string[]): XmlNode | undefined {
  let cur: XmlNode | undefined = n;
  for (const name of names) cur = cur && child(cur, name);
  return cur;
}

export function all(n: XmlNode, pred: (x: XmlNode) => boolean, out: XmlNode[] = []): XmlNode[] {
  if (pred(n)) out.push(n);
  for (const c of n.children) all(c, pred, out);
  return out;
}
