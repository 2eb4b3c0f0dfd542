// The camera on the officer screen: started from the officer `hello` when the lane has a camera
// profile, its state shown in the status strip (#camera), its codes submitted as camera scans.
import type { Language } from '@checkpoint-lane/shared';
import { LaneCamera, type CameraSettings, type CameraState } from './lane-camera.js';

const WORDS: Record<CameraState, Record<Language, string>> = {
  starting: { vi: 'Camera: đang mở', en: 'Camera: starting' },
  live: { vi: 'Camera: sẵn sàng', en: 'Camera: ready' },
  denied: { vi: 'Camera: bị từ chối quyền', en: 'Camera: permission denied' },
  lost: { vi: 'Camera: mất kết nối', en: 'Camera: lost' },
};

let camera: LaneCamera | null = null;
let settings: CameraSettings | null = null;
let state: CameraState = 'starting';

/** The running camera's video and profile (the gate screen shows it with a guide frame); null: no camera. */
export function cameraPreview(): {
  video: HTMLVideoElement;
  settings: CameraSettings;
  state: CameraState;
} | null {
  return camera === null || settings === null ? null : { video: camera.video, settings, state };
}

function isSettings(value: unknown): value is CameraSettings {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<CameraSettings>;
  return (
    typeof v.width === 'number' &&
    typeof v.height === 'number' &&
    typeof v.fps === 'number' &&
    typeof v.roi === 'object' &&
    ['x', 'y', 'width', 'height'].every((k) => typeof (v.roi as Record<string, unknown>)[k] === 'number')
  );
}

/** Shows the camera state in #camera (hidden when the lane has no camera). */
export function renderCamera(language: Language): void {
  const box = document.getElementById('camera');
  if (!box) return;
  box.hidden = camera === null;
  box.textContent = WORDS[state][language];
  box.className = `camera ${state}`;
  box.dataset['state'] = state;
}

/**
 * Starts the camera once, when the officer hello carries a camera profile (null: no camera).
 * Later hellos (the display reconnecting) leave a running camera alone.
 */
export function startOfficerCamera(
  profile: unknown,
  submit: (text: string) => void,
  language: () => Language,
): void {
  if (camera !== null || !isSettings(profile)) return;
  settings = profile;
  camera = new LaneCamera({
    settings: profile,
    onCode: submit,
    onState: (next, detail) => {
      state = next;
      const box = document.getElementById('camera');
      if (box) box.title = detail;
      renderCamera(language());
    },
  });
  // For diagnostics and the e2e measurements: decode counters and the video element.
  (window as unknown as { laneCamera: LaneCamera }).laneCamera = camera;
  camera.start();
}
