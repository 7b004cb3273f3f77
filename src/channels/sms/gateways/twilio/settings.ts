// Twilio gateway settings (read only when QUN_SMS_GATEWAY=twilio).
import type { Setting } from '../../../../config/setting.ts';

export const TWILIO_SETTINGS: Record<string, Setting> = {};
