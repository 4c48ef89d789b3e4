// Protocol sniffers: the statement keyword an SQL text starts with (after blanks and comments), for the MySQL and
// Postgres sniffers' query counters — a keyword check, not an SQL parser.

/** Keywords that start a statement in MySQL or Postgres. */
const STATEMENTS = new Set(
  (
    'SELECT INSERT UPDATE DELETE REPLACE MERGE WITH VALUES TABLE CREATE ALTER DROP TRUNCATE RENAME COMMENT SHOW DESCRIBE DESC ' +
    'EXPLAIN ANALYZE USE SET RESET BEGIN START COMMIT END ROLLBACK ABORT SAVEPOINT RELEASE GRANT REVOKE CALL DO PREPARE EXECUTE ' +
    'DEALLOCATE LOCK UNLOCK COPY VACUUM CLUSTER REINDEX CHECKPOINT LISTEN UNLISTEN NOTIFY FETCH MOVE CLOSE DECLARE DISCARD LOAD ' +
    'HANDLER KILL FLUSH OPTIMIZE REPAIR CHECKSUM CHECK INSTALL UNINSTALL SECURITY REFRESH IMPORT'
  ).split(' '),
);

function isWordChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** The first word (upper case) after whitespace, '(' and -- / # / C-style comments; undefined when the text ends first. */
export function firstSqlKeyword(text: string): string | undefined {
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13) || c === 40 /* ( */) i++;
    else if ((c === 45 && text.charCodeAt(i + 1) === 45) || c === 35 /* # */) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return undefined;
      i = nl + 1;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else break;
  }
  let j = i;
  while (j < n && isWordChar(text.charCodeAt(j))) j++;
  return j > i ? text.slice(i, j).toUpperCase() : undefined;
}

/** Whether `text` starts (after blanks and comments) with a known statement keyword. */
export function looksLikeSqlStatement(text: string): boolean {
  const k = firstSqlKeyword(text);
  return k !== undefined && STATEMENTS.has(k);
}
