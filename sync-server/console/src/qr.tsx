// The enrollment code as a QR code, drawn in the page as SVG from the qrcode package's module
// matrix (no image request, no inline style).
import QRCode from 'qrcode';

/** The SVG path of the dark modules of `text`'s QR code, and the matrix size. */
export function qrPath(text: string): { size: number; d: string } {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const { size } = qr.modules;
  let d = '';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.modules.get(row, col)) d += `M${col} ${row}h1v1h-1z`;
    }
  }
  return { size, d };
}

/** A QR code of `text` with a quiet zone. */
export function QrCode(props: { text: string; label: string; testid?: string }) {
  const { size, d } = qrPath(props.text);
  const q = 4;
  return (
    <svg
      class="qr"
      data-testid={props.testid ?? 'enroll-qr'}
      viewBox={`${-q} ${-q} ${size + 2 * q} ${size + 2 * q}`}
      role="img"
      aria-label={props.label}
      shape-rendering="crispEdges"
    >
      <rect x={-q} y={-q} width={size + 2 * q} height={size + 2 * q} fill="#ffffff" />
      <path d={d} fill="#000000" />
    </svg>
  );
}
