// One request at a time, and at most one waiting: `coalesced(task, interval)` gives a
// trigger that runs `task` no more often than every `interval` ms. A trigger while the
// task runs asks for one more run after it, so whatever changed meanwhile is fetched;
// a trigger while a run waits adds nothing. A steady stream of triggers therefore runs
// the task steadily, never starving it, and the last trigger is always followed by a run
// that starts after it (a swap into an element an earlier run just replaced cannot happen).

export function coalesced(task, interval) {
  let timer = null;
  let running = false;
  let again = false;
  let last = 0;
  const trigger = () => {
    if (running) {
      again = true;
      return;
    }
    if (timer) return;
    timer = setTimeout(async () => {
      timer = null;
      running = true;
      last = Date.now();
      try {
        await task();
      } catch {
        // The live indicator says when the server cannot be reached; the next trigger retries.
      } finally {
        running = false;
      }
      if (again) {
        again = false;
        trigger();
      }
    }, Math.max(0, last + interval - Date.now()));
  };
  return trigger;
}
