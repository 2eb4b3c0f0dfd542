// A one-time lane enrollment code just issued: as text and as a QR code, with its expiry.
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { QrCode } from '../../qr.js';
import type { Enrollment } from '../../types.js';
import { useApp } from '../../ui.js';

/** The enrollment code card; `onClose` hides it. */
export function EnrollmentCard(props: { enrollment: Enrollment; onClose: () => void }) {
  const app = useApp();
  const enrollment = props.enrollment;
  return (
    <div class="enroll" data-testid="enroll-panel">
      <h3>{t('enrollTitle', { id: enrollment.checkpointId })}</h3>
      <div class="enroll-body">
        <QrCode text={enrollment.code} label={enrollment.code} />
        <div>
          <p class="enroll-code" data-testid="enroll-code">
            {enrollment.code}
          </p>
          <p data-testid="enroll-expires">
            {t('enrollExpires', { time: formatTime(enrollment.expiresAt, app.lang) })}
          </p>
          <button type="button" class="small" onClick={props.onClose}>
            {t('close')}
          </button>
        </div>
      </div>
    </div>
  );
}
