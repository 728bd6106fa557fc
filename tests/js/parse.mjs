// Thunderbird's calendar parser (ical.js) reading a feed: the tests compare its times with icalendar's.
// Reads an .ics from stdin; prints JSON: for every VEVENT and VTODO its UID, SUMMARY and times in UTC
// (ISO 8601, "Z"), computed with the file's own VTIMEZONEs; dates (all-day) as YYYY-MM-DD.
// Usage: node parse.mjs [occurrences] < feed.ics   (occurrences: how many starts of a series, default 8)
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const count = Number.parseInt(process.argv[2] ?? "8", 10);
const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf-8")));

// Register the file's zones before any time is read: ical.js resolves a TZID when a value is decoded.
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
}

function utc(time) {
  if (!time) return null;
  if (time.isDate) return time.toString();
  return time.convertToZone(ICAL.Timezone.utcTimezone).toJSDate().toISOString().replace(".000Z", "Z");
}

function occurrences(component, start) {
  if (!start || !component.hasProperty("rrule")) return null;
  const expansion = new ICAL.RecurExpansion({ component, dtstart: start });
  const starts = [];
  for (let next = expansion.next(); next && starts.length < count; next = expansion.next()) {
    starts.push(utc(next));
  }
  return starts;
}

const items = [];
for (const component of calendar.getAllSubcomponents()) {
  if (component.name === "vevent") {
    const event = new ICAL.Event(component);
    items.push({
      kind: "VEVENT",
      uid: event.uid,
      summary: event.summary,
      start: utc(event.startDate),
      end: utc(event.endDate),
      occurrences: occurrences(component, event.startDate),
    });
  } else if (component.name === "vtodo") {
    const start = component.getFirstPropertyValue("dtstart");
    items.push({
      kind: "VTODO",
      uid: component.getFirstPropertyValue("uid"),
      summary: component.getFirstPropertyValue("summary"),
      start: utc(start),
      due: utc(component.getFirstPropertyValue("due")),
      occurrences: occurrences(component, start),
    });
  }
}
process.stdout.write(JSON.stringify(items, null, 1) + "\n");
