import { memo, useMemo, type ReactNode } from 'react';
import { messageParts } from '../mentions/mention-parts.js';
import type { Token } from './markdown.js';
import { useMarkdown, type Markdown } from './markdown-loader.js';
import { hasMarkup, safeLinkHref } from './markup.js';

interface TextContext {
  names: ReadonlySet<string> | undefined;
  me: string;
}

/** Plain text: http(s) and www. links, and `@mentions` of members as chips. */
function plainParts(text: string, ctx: TextContext, key: string): ReactNode[] {
  return messageParts(text, ctx.names, ctx.me).map((part, i) =>
    part.kind === 'link' ? (
      <a key={`${key}.${i}`} href={part.href} target="_blank" rel="noopener noreferrer">
        {part.text}
      </a>
    ) : part.kind === 'mention' ? (
      <span
        key={`${key}.${i}`}
        className={`mention${part.me ? ' mention--me' : ''}`}
        data-testid="mention"
        data-me={part.me || undefined}
      >
        {part.text}
      </span>
    ) : (
      <span key={`${key}.${i}`}>{part.text}</span>
    ),
  );
}

/** The element for a container token (its children already built). */
function container(open: Token, children: ReactNode[], key: string): ReactNode {
  switch (open.type) {
    case 'paragraph_open':
      // Items of a tight list hold their text without a paragraph.
      return open.hidden ? <span key={key}>{children}</span> : <p key={key}>{children}</p>;
    case 'blockquote_open':
      return <blockquote key={key}>{children}</blockquote>;
    case 'bullet_list_open':
      return <ul key={key}>{children}</ul>;
    case 'ordered_list_open': {
      const start = Number(open.attrGet('start') ?? 1);
      return (
        <ol key={key} start={Number.isSafeInteger(start) ? start : undefined}>
          {children}
        </ol>
      );
    }
    case 'list_item_open':
      return <li key={key}>{children}</li>;
    case 'strong_open':
      return <strong key={key}>{children}</strong>;
    case 'em_open':
      return <em key={key}>{children}</em>;
    case 's_open':
      return <s key={key}>{children}</s>;
    case 'link_open': {
      const href = safeLinkHref(String(open.attrGet('href') ?? ''));
      // A link somewhere else than the web or mail stays its text, not clickable.
      if (!href) return <span key={key}>{children}</span>;
      const title = open.attrGet('title');
      return (
        <a
          key={key}
          href={href}
          title={title ? String(title) : undefined}
          target="_blank"
          rel="noopener noreferrer"
        >
          {children}
        </a>
      );
    }
    default:
      return <span key={key}>{children}</span>;
  }
}

/** A token without children: text, code, a line break. */
function leaf(t: Token, inLink: boolean, ctx: TextContext, key: string): ReactNode {
  switch (t.type) {
    case 'text':
      // Inside a link, no link or mention of its own.
      return inLink ? <span key={key}>{t.content}</span> : plainParts(t.content, ctx, key);
    case 'code_inline':
      return (
        <code key={key} className="md-code">
          {t.content}
        </code>
      );
    case 'fence':
    case 'code_block':
      return (
        <pre key={key} className="md-pre" tabIndex={0}>
          <code>{t.content.replace(/\n$/, '')}</code>
        </pre>
      );
    case 'softbreak':
    case 'hardbreak':
      // The bubble keeps white space (pre-wrap): a line break is the newline itself, so
      // copying the text keeps it too.
      return '\n';
    case 'inline':
      return build(t.children ?? [], ctx, key, inLink);
    default:
      // Anything else the parser may give (raw HTML is off) is shown as the text it was.
      return t.content ? <span key={key}>{t.content}</span> : null;
  }
}

/**
 * Builds React elements from a flat token list (open, content, close), without recursion on
 * the nesting (which the parser caps anyway).
 */
function build(tokens: readonly Token[], ctx: TextContext, key: string, inLink = false) {
  const root: ReactNode[] = [];
  const stack: Array<{ open: Token; children: ReactNode[]; inLink: boolean }> = [];
  tokens.forEach((t, i) => {
    const top = stack[stack.length - 1];
    const here = top?.children ?? root;
    const linked = top?.inLink ?? inLink;
    const k = `${key}.${i}`;
    if (t.nesting === 1) {
      stack.push({ open: t, children: [], inLink: linked || t.type === 'link_open' });
    } else if (t.nesting === -1) {
      const done = stack.pop();
      if (!done) return;
      const parent = stack[stack.length - 1]?.children ?? root;
      parent.push(container(done.open, done.children, k));
    } else {
      here.push(leaf(t, linked, ctx, k));
    }
  });
  // Unclosed containers (not produced by the parser, but cheap to be sure of).
  while (stack.length) {
    const done = stack.pop()!;
    (stack[stack.length - 1]?.children ?? root).push(
      container(done.open, done.children, `${key}.open${stack.length}`),
    );
  }
  return root;
}

/**
 * The React elements for a message body; `block` when it is more than one line of text.
 * Without the parser (`md` null: not loaded yet) a body with markup shows as plain text.
 */
export function renderMessage(
  text: string,
  names: ReadonlySet<string> | undefined,
  me: string,
  md: Markdown | null,
): { block: boolean; nodes: ReactNode[] } {
  const ctx = { names, me };
  if (!hasMarkup(text)) return { block: false, nodes: plainParts(text, ctx, 't') };
  if (!md) return { block: text.includes('\n'), nodes: plainParts(text, ctx, 't') };
  const tokens = md.parseMarkdown(text);
  // One paragraph: its inline content alone, so the time can sit at the end of its line.
  if (
    tokens.length === 3 &&
    tokens[0]!.type === 'paragraph_open' &&
    tokens[1]!.type === 'inline' &&
    tokens[2]!.type === 'paragraph_close'
  ) {
    return { block: false, nodes: build(tokens[1]!.children ?? [], ctx, 'i') };
  }
  return { block: true, nodes: build(tokens, ctx, 'b') };
}

/**
 * A message body, formatted (see markdown.ts). Everything is React elements and text nodes:
 * markup in a message is shown, never interpreted; links open in a new tab without an opener
 * and only go to http, https and mailto. With `names` (the lower-cased usernames that can be
 * mentioned), `@mentions` become chips; those of `me` (my lower-cased username) stand out.
 */
export const MessageText = memo(function MessageText({
  text,
  names,
  me = '',
}: {
  text: string;
  names?: ReadonlySet<string> | undefined;
  me?: string;
}) {
  const md = useMarkdown(hasMarkup(text));
  const { block, nodes } = useMemo(() => renderMessage(text, names, me, md), [text, names, me, md]);
  return block ? <div className="md">{nodes}</div> : <>{nodes}</>;
});
