// Whether text is laid out left to right in a real browser page: what a bidi override left open in a
// display name would break. Measured on the glyph boxes, so it sees what the reader sees.
import type { Locator } from 'playwright-core';

/**
 * Whether `needle` (or the element's last text) is laid out left to right: of any two neighbouring
 * characters on the same line, the first sits further left. An override character left open earlier in the
 * same paragraph would reverse them. (Comparing only neighbours on one line keeps wrapped text correct.)
 */
function readsLtr(el: Element, needle: string | null): boolean | null {
  // Re-rendered between finding and measuring (a live update): nothing to measure, ask again.
  if (!el.isConnected) return null;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let node: Text | undefined;
  let at = -1;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent ?? '';
    const i = needle ? t.indexOf(needle) : t.trim().length > 1 ? 0 : -1;
    if (i >= 0) [node, at] = [n as Text, i];
  }
  if (!node) throw new Error(`no text ${needle ?? ''} in ${el.outerHTML}`);
  const end = needle ? at + needle.length : node.length;
  const boxes: DOMRect[] = [];
  for (let i = at; i < end; i++) {
    if (/\s/.test(node.data[i]!)) continue;
    const r = document.createRange();
    r.setStart(node, i);
    r.setEnd(node, i + 1);
    const box = r.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return null; // not laid out (yet)
    boxes.push(box);
  }
  let pairs = 0;
  for (let i = 1; i < boxes.length; i++) {
    const [a, b] = [boxes[i - 1]!, boxes[i]!];
    if (Math.abs(a.top - b.top) > 1) continue;
    pairs++;
    if (!(a.left < b.left)) return false;
  }
  if (pairs === 0) throw new Error(`nothing to compare in ${node.data}`);
  return true;
}

/** readsLtr on what the locator finds, asked again while the page has nothing laid out to measure. */
export async function measureLtr(locator: Locator, needle: string | null = null): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const r = await locator.evaluate(readsLtr, needle);
    if (r !== null) return r;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('the text was never laid out to measure');
}
