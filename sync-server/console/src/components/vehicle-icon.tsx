/** A small van, drawn (no emoji font needed: the kiosks' and servers' Debian has none). */
export function VehicleIcon() {
  return (
    <svg class="vehicle-icon" width="16" height="12" viewBox="0 0 16 12" aria-hidden="true">
      <path
        d="M1 3.5A1.5 1.5 0 0 1 2.5 2h7.3a1.5 1.5 0 0 1 1.2.6L13.6 6h.4a1 1 0 0 1 1 1v2a1 1 0 0 1-1 1H2a1 1 0 0 1-1-1z"
        fill="currentColor"
      />
      <circle cx="4.5" cy="10" r="1.6" fill="#fff" stroke="currentColor" stroke-width="1.2" />
      <circle cx="11.5" cy="10" r="1.6" fill="#fff" stroke="currentColor" stroke-width="1.2" />
    </svg>
  );
}
