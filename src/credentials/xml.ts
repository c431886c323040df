/**
 * A tiny, strict XML reader for the AWS Query protocol's responses (STS): elements, attributes
 * (read past, not kept), text with the five named entities and numeric character references,
 * an optional `<?xml …?>` declaration and comments. No DTD, no CDATA, no processing instructions
 * inside: anything else is an {@link XmlError}, so a proxy's HTML page is never half-read.
 */

/** An element: its local name (prefix dropped), child elements and text. */
export interface XmlElement {
  readonly name: string;
  readonly children: readonly XmlElement[];
  /** The text directly inside it, entities decoded (children's text not included). */
  readonly text: string;
}

/** The input is not XML of the supported shape; the message says where, never the contents. */
export class XmlError extends Error {
  /** @param message - what is wrong and at which offset. */
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

const namedEntities: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/** Decodes `&amp; &lt; &gt; &quot; &apos; &#N; &#xN;`; any other `&` is an {@link XmlError}. */
export function decodeEntities(text: string): string {
  return text.replace(/&([^;&\s]{0,10});?/g, (match, name: string) => {
    if (!match.endsWith(';')) throw new XmlError('an & that starts no entity');
    const named = namedEntities[name];
    if (named !== undefined) return named;
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
    if (numeric) {
      const code = numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
      if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) {
        return String.fromCodePoint(code);
      }
    }
    throw new XmlError('an unknown or invalid entity');
  });
}

const namePattern = /[A-Za-z_][\w.:-]*/y;

/**
 * Parses one XML document into its root element. Throws {@link XmlError}.
 *
 * @param text - the document.
 */
export function parseXml(text: string): XmlElement {
  let at = 0;
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at] as string)) at++;
  };
  const fail = (problem: string): never => {
    throw new XmlError(`${problem} at offset ${at}`);
  };
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', at)) {
        const end = text.indexOf('-->', at + 4);
        if (end === -1) fail('an unclosed comment');
        at = end + 3;
      } else return;
    }
  };
  const readName = (): string => {
    namePattern.lastIndex = at;
    const match = namePattern.exec(text);
    if (!match) return fail('a missing name');
    at += match[0].length;
    return match[0];
  };
  const localName = (name: string) => name.slice(name.lastIndexOf(':') + 1);

  const readElement = (depth: number): XmlElement => {
    if (depth > 32) fail('elements nested too deep');
    if (text[at] !== '<') fail("expected '<'");
    at++;
    const name = readName();
    // Attributes: name="value" or name='value'; read and dropped (only xmlns appears here).
    for (;;) {
      skipSpace();
      if (text.startsWith('/>', at)) {
        at += 2;
        return { name: localName(name), children: [], text: '' };
      }
      if (text[at] === '>') {
        at++;
        break;
      }
      readName();
      skipSpace();
      if (text[at] !== '=') fail("expected '=' after an attribute name");
      at++;
      skipSpace();
      const quote = text[at];
      if (quote !== '"' && quote !== "'") return fail('an unquoted attribute value');
      const end = text.indexOf(quote, at + 1);
      if (end === -1) fail('an unclosed attribute value');
      decodeEntities(text.slice(at + 1, end));
      at = end + 1;
    }
    const children: XmlElement[] = [];
    let content = '';
    for (;;) {
      const next = text.indexOf('<', at);
      if (next === -1) fail(`no closing tag for <${name}>`);
      content += decodeEntities(text.slice(at, next));
      at = next;
      if (text.startsWith('</', at)) {
        at += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        skipSpace();
        if (text[at] !== '>') fail("expected '>'");
        at++;
        return { name: localName(name), children, text: content };
      }
      if (text.startsWith('<!--', at)) {
        skipMisc();
        continue;
      }
      if (text.startsWith('<!', at) || text.startsWith('<?', at)) fail('unsupported markup');
      children.push(readElement(depth + 1));
    }
  };

  if (text.startsWith('\uFEFF')) at = 1;
  skipSpace();
  if (text.startsWith('<?xml', at)) {
    const end = text.indexOf('?>', at);
    if (end === -1) fail('an unclosed XML declaration');
    at = end + 2;
  }
  skipMisc();
  if (text.startsWith('<!', at) || text.startsWith('<?', at)) fail('unsupported markup');
  const root = readElement(0);
  skipMisc();
  if (at !== text.length) fail('content after the root element');
  return root;
}

/** The first child named `name`, or undefined. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((candidate) => candidate.name === name);
}

/** The text at a path of child names below `element` (trimmed), or undefined. */
export function textAt(element: XmlElement | undefined, ...path: string[]): string | undefined {
  let current = element;
  for (const name of path) current = child(current, name);
  return current?.text.trim();
}
