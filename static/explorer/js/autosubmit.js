// A <select data-autosubmit> submits its form when it changes (the namespace filter, the
// language switcher): no inline handler, which the Content-Security-Policy would refuse.
document.addEventListener("change", (event) => {
  const select = event.target.closest?.("select[data-autosubmit]");
  if (select?.form) select.form.submit();
});
