// Shared table and paging pieces: a scrolling table with its header row and an empty-state
// row, a stack of page cursors (older pages with a way back), and the pager buttons.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/** A table in a scrolling box: the column heads, the rows, and one row saying "nothing" when `empty` is set. */
export function DataTable(props: {
  /** Column heads; `false` leaves a column out (e.g. the actions column for viewers). */
  columns: readonly (string | false)[];
  children: ComponentChildren;
  /** The empty-state text, shown as one row across every column; null when there are rows (or no answer yet). */
  empty?: string | null | false;
  testid?: string;
}) {
  const columns = props.columns.filter((c): c is string => c !== false);
  return (
    <div class="scroll">
      <table class="table" data-testid={props.testid}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.children}
          {typeof props.empty === 'string' && (
            <tr>
              <td colSpan={columns.length} class="empty">
                {props.empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/** The cursors of the pages walked through: the newest page has none. */
export interface PageStack<C> {
  /** The cursor of the page shown (undefined: the first page). */
  current: C | undefined;
  /** How many pages past the first. */
  depth: number;
  push: (cursor: C) => void;
  back: () => void;
  reset: () => void;
}

/** Keeps the cursors of the pages walked through, so "back" returns to the one before. */
export function usePageStack<C>(): PageStack<C> {
  const [stack, setStack] = useState<C[]>([]);
  return {
    current: stack.at(-1),
    depth: stack.length,
    push: (cursor) => {
      setStack((s) => [...s, cursor]);
    },
    back: () => {
      setStack((s) => s.slice(0, -1));
    },
    reset: () => {
      setStack([]);
    },
  };
}

/** One pager button. */
export interface PagerButton {
  label: string;
  testid?: string;
  disabled?: boolean;
  onClick: () => void;
}

/** A row of small pager buttons. */
export function Pager(props: { buttons: readonly PagerButton[] }) {
  return (
    <div class="pager">
      {props.buttons.map((b, i) => (
        <button
          key={i}
          type="button"
          class="small"
          data-testid={b.testid}
          disabled={b.disabled === true}
          onClick={b.onClick}
        >
          {b.label}
        </button>
      ))}
    </div>
  );
}

/** Back / forward buttons over a page stack; `next` is the next page's cursor, null when there is none. */
export function StackPager<C>(props: {
  stack: PageStack<C>;
  next: C | null;
  back: { label: string; testid?: string };
  forward: { label: string; testid?: string };
}) {
  const { stack, next } = props;
  return (
    <Pager
      buttons={[
        { ...props.back, disabled: stack.depth === 0, onClick: stack.back },
        {
          ...props.forward,
          disabled: next === null,
          onClick: () => {
            if (next !== null) stack.push(next);
          },
        },
      ]}
    />
  );
}
