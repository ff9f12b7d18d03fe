import type { ReactNode } from 'react';
import { theme } from 'antd';

/**
 * The numbers beside a chart, as a plain table (readable without the chart, and light: the overview loads no
 * data grid for it).
 */
export function NumbersTable({
  headers,
  rows,
}: {
  headers: readonly ReactNode[];
  rows: readonly { key: string; cells: readonly ReactNode[] }[];
}) {
  const { token } = theme.useToken();
  const cell = { padding: '4px 8px', borderBottom: `1px solid ${token.colorBorderSecondary}` };
  return (
    <table style={{ width: '100%', borderCollapse: 'collapse', fontSize: token.fontSizeSM }}>
      <thead>
        <tr>
          {headers.map((header, i) => (
            <th
              key={i}
              scope="col"
              style={{ ...cell, textAlign: i === 0 ? 'left' : 'right', fontWeight: 600 }}
            >
              {header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            {row.cells.map((value, i) =>
              i === 0 ? (
                <th key={i} scope="row" style={{ ...cell, textAlign: 'left', fontWeight: 400 }}>
                  {value}
                </th>
              ) : (
                <td key={i} style={{ ...cell, textAlign: 'right' }}>
                  {value}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
