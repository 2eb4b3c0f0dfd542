// The display's actions (`/api/…`), each answered by the lane agent: the routes come from the
// display channel's table, every body is checked with its schema (readBody), and every answer is
// typed by it. Sessions and origins are checked before this (display-server.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  checkManualEntry,
  RecordId,
  submitSource,
  type DisplayActionName,
  type OverrideRefusalCode,
  type VehiclePassedRefusalCode,
} from '@checkpoint-lane/shared';
import Value from 'typebox/value';
import type { DisplayAgent, GateUnlockRefusal } from './display-agent.js';
import { readBody, RequestError, sendAnswer, sendRefusal, type BodyRefusals } from './display-http.js';

/** The HTTP status of each refused override. */
const OVERRIDE_STATUS: Readonly<Record<OverrideRefusalCode, number>> = {
  wrong_pin: 403,
  unknown_officer: 404,
  not_supervisor: 403,
  locked_out: 429,
  needs_supervisor: 403,
  supervisor_same_officer: 403,
  unknown_scan: 404,
  same_decision: 409,
  invalid_request: 400,
};

/** What a refused override says (`/api/scans/{scanId}/override`). */
const OVERRIDE_MESSAGES: Readonly<Record<OverrideRefusalCode, string>> = {
  wrong_pin: 'wrong PIN',
  unknown_officer: 'no such officer at this lane',
  not_supervisor: 'this officer is not a supervisor',
  locked_out: 'this officer is locked after repeated wrong PINs',
  needs_supervisor: 'turning a health red green needs a supervisor',
  supervisor_same_officer: 'the supervisor must be another officer',
  unknown_scan: 'no scan with this id at this lane',
  same_decision: 'the scan already has this decision',
  invalid_request: 'a reason is needed ("other" needs a note)',
};

/** What a refused "Xe đã qua" says. */
const VEHICLE_PASSED_MESSAGES: Readonly<Record<VehiclePassedRefusalCode, string>> = {
  unknown_vehicle: 'no vehicle with this id at this lane',
  vehicle_closed: 'this vehicle is already closed (passed, next plate, or 10 minutes)',
  not_vehicle_mode: 'this lane is not in vehicle mode',
};

/** The HTTP status of each refused gate unlock (the display channel: 403 PIN, 404 officer, 409 mode). */
const GATE_UNLOCK_STATUS: Readonly<Record<GateUnlockRefusal, number>> = {
  wrong_pin: 403,
  locked_out: 403,
  unknown_officer: 404,
  not_gate_mode: 409,
};

/** What a refused gate unlock says. */
const GATE_UNLOCK_MESSAGES: Readonly<Record<GateUnlockRefusal, string>> = {
  wrong_pin: 'Sai mã PIN / wrong PIN',
  // The officer's own lock-out, or the lane's (10 failed unlocks in 10 minutes refuse every PIN).
  locked_out:
    'Tạm khoá mở bằng PIN vì nhập sai nhiều lần (cán bộ này hoặc cả làn) / PIN unlock locked after repeated wrong PINs (this officer or the whole lane)',
  unknown_officer: 'Cán bộ không có trong danh sách làn / no such officer at this lane',
  not_gate_mode: 'Làn không ở chế độ cổng tự động / this lane is not in gate mode',
};

/** The 400 answer of a body that does not match its action's schema. */
const BAD_BODY: BodyRefusals = {
  submit: { code: 'bad_text', message: 'text: the code typed, up to 1024 characters' },
  acknowledge: { code: 'bad_acknowledge', message: 'the body may only hold a note (up to 500 characters)' },
  override: {
    code: 'bad_override',
    message: 'decision, officerId, officerPin (4–8 digits) and reason are required; nothing else is accepted',
  },
  vehiclePassed: { code: 'bad_vehicle_passed', message: 'the body must be an empty object {}' },
  overrideByBody: {
    code: 'bad_override',
    message: 'scanId, decision, officerId, officerPin and reason are required',
  },
  gateUnlock: {
    code: 'bad_gate_unlock',
    message: 'officerId and pin (4–8 digits) are required; nothing else',
  },
  gateLock: { code: 'bad_gate_lock', message: 'the body must be an empty object {}' },
};

/** Is the lane unattended (gate mode)? */
function unattended(agent: DisplayAgent): boolean {
  return agent.gateView?.('officer').unattended === true;
}

/**
 * Gate mode with the officer panel locked: the screen is the travellers' gate screen, so no
 * officer action is taken from it (403 `gate_locked`) until an officer unlocks it (hidden corner
 * and PIN, or a staff card). Scans from the camera or a wedge scanner still go through.
 */
function refuseWhenGateLocked(agent: DisplayAgent): void {
  const view = agent.gateView?.('officer');
  if (view?.unattended === true && view.unlock === null)
    throw new RequestError(
      403,
      'gate_locked',
      'Cổng tự động: cần mở khoá bảng cán bộ (thẻ nhân viên hoặc PIN) / unattended gate: the officer panel is locked',
    );
}

/**
 * Answers one display action. Actions on a scan name it in their path, so a dialog opened on one
 * traveller can never act on the next: a scan already handled answers 409 with why, an unknown
 * one 404.
 */
export async function answerAction(
  agent: DisplayAgent,
  action: DisplayActionName,
  scanId: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  switch (action) {
    case 'status':
      sendAnswer(res, action, 200, agent.status());
      return;
    case 'officers':
      sendAnswer(res, action, 200, agent.officers());
      return;
    case 'submit':
      await submit(agent, req, res);
      return;
    case 'acknowledge': {
      refuseWhenGateLocked(agent);
      checkScanId(scanId);
      const body = await readBody(req, action, BAD_BODY);
      const result = agent.acknowledge(scanId, body.note);
      if (result.ok) sendAnswer(res, action, 201, result.record);
      else sendRefusal(res, action, result.error === 'unknown_scan' ? 404 : 409, result);
      return;
    }
    case 'override': {
      refuseWhenGateLocked(agent);
      checkScanId(scanId);
      const body = await readBody(req, action, BAD_BODY);
      const result = await agent.override(scanId, body);
      if (result.ok) sendAnswer(res, action, 201, result.record);
      else
        sendRefusal(res, action, OVERRIDE_STATUS[result.error], {
          ...result,
          message: OVERRIDE_MESSAGES[result.error],
        });
      return;
    }
    case 'overrideByBody': {
      refuseWhenGateLocked(agent);
      const { scanId: bodyScanId, ...body } = await readBody(req, action, BAD_BODY);
      const result = await agent.override(bodyScanId, body);
      if (result.ok) sendAnswer(res, action, 201, result.record);
      else sendRefusal(res, action, OVERRIDE_STATUS[result.error], { ...result, message: result.error });
      return;
    }
    case 'vehiclePassed': {
      refuseWhenGateLocked(agent);
      // The path names the vehicle (its plate scan's id): a tap never closes the next vehicle.
      if (!Value.Check(RecordId, scanId))
        throw new RequestError(404, 'unknown_vehicle', 'no vehicle with this id');
      await readBody(req, action, BAD_BODY);
      const result = agent.vehiclePassed?.(scanId) ?? { ok: false, error: 'not_vehicle_mode' };
      if (result.ok) sendAnswer(res, action, 200, { ok: true, vehicle: result.vehicle });
      else
        sendRefusal(res, action, result.error === 'unknown_vehicle' ? 404 : 409, {
          ok: false,
          error: result.error,
          message: VEHICLE_PASSED_MESSAGES[result.error],
        });
      return;
    }
    case 'gateUnlock': {
      const body = await readBody(req, action, BAD_BODY);
      const result =
        unattended(agent) && agent.gateUnlock !== undefined
          ? await agent.gateUnlock(body.officerId, body.pin)
          : ({ ok: false, error: 'not_gate_mode' } as const);
      if (result.ok) sendAnswer(res, action, 200, { ok: true, unlock: result.unlock });
      else
        sendRefusal(res, action, GATE_UNLOCK_STATUS[result.error], {
          ok: false,
          error: result.error,
          message: GATE_UNLOCK_MESSAGES[result.error],
          ...(result.lockedUntil !== undefined && { lockedUntil: result.lockedUntil }),
        });
      return;
    }
    case 'gateLock': {
      await readBody(req, action, BAD_BODY);
      if (!unattended(agent))
        throw new RequestError(409, 'not_gate_mode', GATE_UNLOCK_MESSAGES.not_gate_mode);
      agent.gateLock?.();
      sendAnswer(res, action, 200, { ok: true, unlock: agent.gateView?.('officer').unlock ?? null });
      return;
    }
    default: {
      const unhandled: never = action;
      throw new Error(`unhandled display action ${String(unhandled)}`);
    }
  }
}

/** A scan id in a path that is not a record id names no scan here. */
function checkScanId(scanId: string): void {
  if (!Value.Check(RecordId, scanId)) throw new RequestError(404, 'unknown_scan', 'no scan with this id');
}

/** `POST /api/scans`: a typed code is checked before it is decided (a typo is refused, never recorded as amber). */
async function submit(agent: DisplayAgent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, 'submit', BAD_BODY);
  const source = submitSource(body);
  let text = body.text;
  // Gate mode: a staff card the camera or a wedge scanner read is not a scan (never decided nor
  // recorded): a valid one opens the officer panel (409 staff_card, the gate message follows), a
  // bad one is refused (403 staff_card_invalid) and the gate screen says so.
  const card = source === 'manual' ? null : (agent.staffCard?.(text) ?? null);
  if (card !== null) {
    if (card.ok)
      throw new RequestError(
        409,
        'staff_card',
        'Thẻ nhân viên: bảng cán bộ mở / staff card: the officer panel is open (a card is not decided)',
      );
    throw new RequestError(
      403,
      'staff_card_invalid',
      `Thẻ nhân viên không hợp lệ / staff card not valid (${card.reason})`,
    );
  }
  if (source === 'manual') {
    // The keypad is an officer's tool; the camera and a wedge scanner are the travellers'.
    refuseWhenGateLocked(agent);
    const check = checkManualEntry(text, Date.now());
    if (!check.ok) {
      sendRefusal(res, 'submit', 422, {
        error: 'invalid_entry',
        reason: check.error.reason,
        ...(check.error.digits === undefined ? {} : { digits: check.error.digits }),
        message: `not a valid ID, plate or passport (${check.error.reason})`,
      });
      return;
    }
    text = check.value.text;
  }
  sendAnswer(res, 'submit', 200, agent.submit(text, source));
}
