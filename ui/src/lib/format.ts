// How dates, times and coded values read to a clinician (British English).
import type { AttendanceOutcome } from "../bindings/AttendanceOutcome";
import type { ContactType } from "../bindings/ContactType";

export const CONTACT_TYPES: Record<ContactType, string> = {
  home_visit: "Home visit",
  hub_visit: "Hub visit",
  drop_in: "Drop-in",
  group_session: "Group session",
  telephone: "Telephone",
  video: "Video call",
  joint_visit: "Joint visit with referrer",
  professionals_consultation: "Professionals' consultation",
};

export const OUTCOMES: Record<AttendanceOutcome, string> = {
  attended: "Attended",
  did_not_attend: "Did not attend",
  cancelled_by_family: "Cancelled by the family",
  cancelled_by_service: "Cancelled by the service",
  no_access_visit: "No access visit",
};

/** "2026-11-20" (a calendar date, no time zone) as "20 Nov 2026". */
export function day(iso: string | null | undefined, withYear = true): string {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  const date = new Date(y, m - 1, d);
  return date.toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    ...(withYear ? { year: "numeric" } : {}),
  });
}

/** An instant (RFC 3339) as the local day, e.g. "24 Nov 2026". */
export function dayOf(instant: string | null | undefined, withYear = true): string {
  if (!instant) return "";
  return new Date(instant).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    ...(withYear ? { year: "numeric" } : {}),
  });
}

/** An instant as local time, e.g. "10:42". */
export function time(instant: string | Date | null | undefined): string {
  if (!instant) return "";
  const d = instant instanceof Date ? instant : new Date(instant);
  return d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

/** An instant as "24 Nov 2026 at 10:42". */
export function dayAndTime(instant: string | null | undefined): string {
  if (!instant) return "";
  return `${dayOf(instant)} at ${time(instant)}`;
}

/** Today as a calendar date in the laptop's time zone ("2026-11-24"). */
export function today(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The day `days` after `iso` ("2026-11-21"), or before it when negative, as "2026-12-01". */
export function addDays(iso: string, days: number): string {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  const date = new Date(y, m - 1, d + days);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** "2026-11-21" as "Saturday 21 November 2026": never ambiguous about day and month. */
export function longDay(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  if (!y || !m || !d) return "";
  return new Date(y, m - 1, d).toLocaleDateString("en-GB", {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  });
}

/** How long ago an instant was, in words ("3 hours ago"): how old the team's information is. */
export function ago(instant: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.round((now - Date.parse(instant)) / 60_000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return minutes === 1 ? "a minute ago" : `${minutes} minutes ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return hours === 1 ? "an hour ago" : `${hours} hours ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? "a day ago" : `${days} days ago`;
}
