import { describe, expect, it } from 'vitest';
import { credentialsFromStsResponse } from '../../src/credentials/sts.js';
import { decodeEntities, parseXml, textAt, XmlError } from '../../src/credentials/xml.js';

describe('the XML reader of STS answers', () => {
  it('reads nested elements, drops prefixes and attributes, decodes every entity', () => {
    const root = parseXml(
      '\uFEFF<?xml version="1.0"?>\n<!-- c --><a:Root xmlns:a="x" b=\'1\'><Child>&amp;&lt;&gt;&quot;&apos;&#43;&#x2b;&#x1F600;</Child><Empty/><!-- c --></a:Root>\n',
    );
    expect(root.name).toBe('Root');
    expect(root.children.map((child) => child.name)).toEqual(['Child', 'Empty']);
    expect(textAt(root, 'Child')).toBe('&<>"\'++\u{1F600}');
    expect(textAt(root, 'Missing')).toBeUndefined();
  });

  const malformed: readonly [string, string][] = [
    ['<a><b></a>', 'mismatched tags'],
    ['<a>x', 'no closing tag'],
    ['<a>&bogus;</a>', 'unknown entity'],
    ['<a>a & b</a>', 'bare ampersand'],
    ['<a>&#0;</a>', 'null character reference'],
    ['<a>&#xD800;</a>', 'surrogate reference'],
    ['<a></a><b></b>', 'two roots'],
    ['<!DOCTYPE a><a></a>', 'a DTD'],
    ['<a><![CDATA[x]]></a>', 'CDATA'],
    ['<a b=c></a>', 'unquoted attribute'],
    ['<html><body>Proxy error</body>', 'an HTML page'],
    ['', 'empty'],
    [`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`, 'too deep'],
  ];
  for (const [text, what] of malformed) {
    it(`refuses ${what}`, () => {
      expect(() => parseXml(text)).toThrow(XmlError);
    });
  }

  it('decodes nothing else', () => {
    expect(decodeEntities('plain text')).toBe('plain text');
  });

  it('reads credentials from an answer, and the code and redacted message from an error', () => {
    const ok = credentialsFromStsResponse(
      200,
      '<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s&amp;k</SecretAccessKey><SessionToken>t&#x2B;</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>',
      'STS AssumeRole',
      'AssumeRole',
    );
    expect(ok).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 's&k',
      sessionToken: 't+',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    expect(() =>
      credentialsFromStsResponse(
        403,
        '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized\nfor key s3cr3t-key-value</Message></Error></ErrorResponse>',
        'STS AssumeRole',
        'AssumeRole',
        { secretAccessKey: 's3cr3t-key-value' },
      ),
    ).toThrow(
      /^STS AssumeRole failed: AccessDenied \(HTTP 403\): not authorized for key \[redacted\]$/,
    );
    expect(() =>
      credentialsFromStsResponse(502, '<html>bad gateway</html>', 'STS AssumeRole', 'AssumeRole'),
    ).toThrow(/^STS AssumeRole failed: an error without a code \(HTTP 502\)$/);
    expect(() =>
      credentialsFromStsResponse(200, '<AssumeRoleResponse/>', 'STS AssumeRole', 'AssumeRole'),
    ).toThrow(/without AssumeRoleResult\/Credentials/);
  });
});
