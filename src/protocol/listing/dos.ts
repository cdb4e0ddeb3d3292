import type { FileEntry } from './entry.js';

/**
 * IIS / DOS style: date (MM-DD-YY or MM-DD-YYYY, "/" also seen), time (12-hour with AM/PM or
 * 24-hour), then "<DIR>" or a size (thousands separators allowed), then the name.
 */
const DOS_LINE =
  /^(\d{1,2})[-/](\d{1,2})[-/](\d{2}|\d{4})\s+(\d{1,2}):(\d{2})\s*([AaPp][Mm])?\s+(?:(<DIR>)|(\d[\d,]*))\s+(.+)$/i;

/** Parses one DOS/IIS listing line; dates are taken as UTC. Undefined when it is not one. */
export function parseDosLine(line: string): FileEntry | undefined {
  const match = DOS_LINE.exec(line.replace(/\r$/, ''));
  if (match === null) return undefined;
  const [
    ,
    monthText = '',
    dayText = '',
    yearText = '',
    hourText = '',
    minuteText = '',
    meridiem,
    dir,
    sizeText,
    name = '',
  ] = match;
  const month = Number(monthText);
  const day = Number(dayText);
  let year = Number(yearText);
  // Two-digit years: the usual POSIX pivot (69-99 -> 19xx, 00-68 -> 20xx).
  if (yearText.length === 2) year += year < 69 ? 2000 : 1900;
  let hours = Number(hourText);
  const minutes = Number(minuteText);
  if (meridiem !== undefined) {
    if (hours < 1 || hours > 12) return undefined;
    hours %= 12;
    if (meridiem.toUpperCase() === 'PM') hours += 12;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hours > 23 || minutes > 59) return undefined;
  return {
    name,
    type: dir === undefined ? 'file' : 'dir',
    size: sizeText === undefined ? 0 : Number(sizeText.replaceAll(',', '')),
    modified: new Date(Date.UTC(year, month - 1, day, hours, minutes)),
    modifiedPrecision: 'minute',
  };
}
