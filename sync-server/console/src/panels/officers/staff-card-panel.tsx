// A staff card for one officer (issue 17): pick a checkpoint the officer serves and how many days
// the card is valid, the server signs it (`POST /officers/{id}/staff-card`), the panel shows its QR
// large, with the officer, checkpoint and expiry, ready to print (the print stylesheet shows only
// the card). The card's text is never stored by the console.
import type { StaffCardAnswer } from '@checkpoint-lane/shared';
import { useState } from 'preact/hooks';
import { api, errorText } from '../../api.js';
import { Field, GridForm } from '../../components/forms.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { QrCode } from '../../qr.js';
import type { Checkpoint, Officer } from '../../types.js';
import { ErrorBox, useApp } from '../../ui.js';

/** The staff card panel of one officer. */
export function StaffCardPanel(props: {
  officer: Officer;
  checkpoints: readonly Checkpoint[];
  onClose: () => void;
}) {
  const app = useApp();
  const o = props.officer;
  const choices =
    o.checkpoints === null
      ? props.checkpoints.map((c) => ({ id: c.id, label: `${c.id} — ${c.name}` }))
      : o.checkpoints.map((id) => {
          const c = props.checkpoints.find((x) => x.id === id);
          return { id, label: c ? `${c.id} — ${c.name}` : id };
        });
  const [checkpoint, setCheckpoint] = useState(choices[0]?.id ?? '');
  const [days, setDays] = useState('30');
  const [card, setCard] = useState<StaffCardAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const cpName = (id: string): string => props.checkpoints.find((c) => c.id === id)?.name ?? id;

  const issue = async (): Promise<void> => {
    const n = Number(days);
    if (!Number.isInteger(n) || n < 1 || n > 90) {
      setError(t('staffCardDays'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setCard(
        await api<StaffCardAnswer>('POST', `/api/v1/admin/officers/${encodeURIComponent(o.id)}/staff-card`, {
          checkpointId: checkpoint,
          days: n,
        }),
      );
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="staff-card-panel" data-testid="staff-card-panel">
      <h3>{t('staffCardTitle', { name: o.name })}</h3>
      {choices.length === 0 ? (
        <p class="muted">{t('staffCardNoCheckpoint')}</p>
      ) : (
        <GridForm testid="staff-card-form" onSubmit={() => void issue()}>
          <Field id="staff-card-checkpoint" label={t('staffCardCheckpoint')}>
            <select
              id="staff-card-checkpoint"
              data-testid="staff-card-checkpoint"
              value={checkpoint}
              onChange={(e) => {
                setCheckpoint(e.currentTarget.value);
                setCard(null);
              }}
            >
              {choices.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
            </select>
          </Field>
          <Field id="staff-card-days" label={t('staffCardDays')}>
            <input
              id="staff-card-days"
              data-testid="staff-card-days"
              type="number"
              min={1}
              max={90}
              inputMode="numeric"
              value={days}
              onInput={(e) => {
                setDays(e.currentTarget.value);
              }}
            />
          </Field>
          <div class="buttons wide">
            <button type="submit" class="primary" disabled={busy} data-testid="staff-card-issue">
              {t('staffCardIssue')}
            </button>
            <button type="button" onClick={props.onClose} data-testid="staff-card-close">
              {t('close')}
            </button>
          </div>
        </GridForm>
      )}
      <ErrorBox error={error} testid="staff-card-error" />
      {card && (
        <div class="staff-card printable" data-testid="staff-card" data-card-id={card.cardId}>
          <div class="staff-card-qr">
            <QrCode
              text={card.text}
              label={t('staffCardQr', { id: card.officerId, checkpoint: card.checkpointId })}
              testid="staff-card-qr"
            />
          </div>
          <div class="staff-card-facts">
            <p class="staff-card-kind">{t('staffCard')}</p>
            <p class="staff-card-name">{o.name}</p>
            <p>
              <code>{card.officerId}</code>
            </p>
            <p>
              {card.checkpointId} — {cpName(card.checkpointId)}
            </p>
            <p data-testid="staff-card-expiry">
              {t('staffCardValidUntil', { time: formatTime(card.expiresAt, app.lang) })}
            </p>
            <p class="muted small-text">{t('staffCardHint')}</p>
          </div>
          <button
            type="button"
            class="primary no-print"
            data-testid="staff-card-print"
            onClick={() => {
              print();
            }}
          >
            {t('staffCardPrint')}
          </button>
        </div>
      )}
    </div>
  );
}
