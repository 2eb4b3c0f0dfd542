// The vehicle panel of the officer screen (vehicle mode): the open vehicle's plate (in full, as
// on the desk), its colour (colour, shape and words), how many people were scanned in it, each
// one's colour with their masked subject, and a large "Xe đã qua" bound to that vehicle's id.
import type { Language, VehiclePanel } from '@checkpoint-lane/shared';
import { duration, HEALTH_WORDS, t } from '../ui-text.js';
import { SHAPES } from './desk-view.js';
import { el, make } from './dom.js';
import { screen } from './screen-state.js';

let passengersKey = '';

/** Paints the vehicle panel (hidden out of vehicle mode); answers the vehicle shown, or null. */
export function renderVehicle(now = Date.now()): VehiclePanel | null {
  const language = screen.language;
  const on = screen.desk.vehicleMode === true;
  const section = el('vehicle');
  section.hidden = !on;
  el('desk').classList.toggle('vehicle-mode', on);
  const vehicle = on ? (screen.desk.vehicle ?? null) : null;
  const passed = el<HTMLButtonElement>('vehicle-passed');
  passed.textContent = t('vehiclePassed', language);
  el('vehicle-title').textContent = t('vehicleTitle', language);
  if (vehicle === null) {
    section.className = 'vehicle none';
    delete section.dataset['vehicleId'];
    delete section.dataset['decision'];
    el('vehicle-plate').textContent = '';
    el('vehicle-verdict').textContent = t('vehicleNone', language);
    el('vehicle-meta').textContent = '';
    el('vehicle-passengers').replaceChildren();
    passengersKey = '';
    passed.disabled = true;
    return null;
  }
  section.className = `vehicle ${vehicle.decision}`;
  section.dataset['vehicleId'] = vehicle.id;
  section.dataset['decision'] = vehicle.decision;
  el('vehicle-plate').textContent = vehicle.plateShown ?? '—';
  el('vehicle-verdict').textContent = `${SHAPES[vehicle.decision]} ${t(vehicle.decision, language)}`;
  const meta = [t('vehiclePeople', language, { n: vehicle.passengerCount })];
  if (vehicle.greenLane) meta.push(t('vehicleGreenLane', language));
  meta.push(t('vehicleClosesIn', language, { time: duration(vehicle.closesAt - now, language) }));
  el('vehicle-meta').textContent = meta.join(' · ');
  const key = JSON.stringify([language, vehicle.id, vehicle.passengers.map((p) => [p.scanId, p.decision])]);
  if (key !== passengersKey) {
    passengersKey = key;
    el('vehicle-passengers').replaceChildren(...passengerRows(vehicle, language));
  }
  passed.disabled = false;
  return vehicle;
}

function passengerRows(vehicle: VehiclePanel, language: Language): HTMLLIElement[] {
  if (vehicle.passengers.length === 0)
    return [make('li', 'vehicle-empty', t('vehicleNoPassengers', language))];
  const rows = vehicle.passengers.map((p) => {
    const row = make('li', `passenger ${p.decision}`);
    row.dataset['scanId'] = p.scanId;
    row.dataset['decision'] = p.decision;
    const who =
      p.subject === null
        ? t('noSubject', language)
        : `${t(`kind_${p.subject.kind}`, language)} ${p.subject.shown}`;
    const health = p.healthStatus === null ? '' : ` ${HEALTH_WORDS[p.healthStatus].icon} ${p.healthStatus}`;
    row.append(make('span', 'p-shape', SHAPES[p.decision]), make('span', 'p-who', `${who}${health}`));
    return row;
  });
  const more = vehicle.passengerCount - vehicle.passengers.length;
  if (more > 0) rows.push(make('li', 'vehicle-empty', t('vehicleMorePeople', language, { n: more })));
  return rows;
}
