// Smpp gateway settings (read only when QUN_SMS_GATEWAY=smpp).
import type { Setting } from '../../../../config/setting.ts';

export const SMPP_SETTINGS: Record<string, Setting> = {};
