/*
 * The KPI page's period choice (houqin/insight/templates/insight/kpis.html). Loaded from a file:
 * the CSP allows no inline script.
 *
 *   select[data-kpi-period]              this month / last month / a month / from … to …
 *   input[data-kpi-period-part="month"]  typing a month chooses "a month"
 *   input[data-kpi-period-part="custom"] typing a date chooses "from … to …"
 *   details[data-kpi-more]               the filters, folded on a phone unless one is in use
 */
(function () {
  'use strict';

  // Capture phase: the choice is set before htmx, listening on the form, reads the values.
  document.addEventListener('change', function (evt) {
    const box = evt.target.closest && evt.target.closest('[data-kpi-period-part]');
    if (!box || !box.form) {
      return;
    }
    const choice = box.form.querySelector('select[data-kpi-period]');
    if (choice) {
      choice.value = box.getAttribute('data-kpi-period-part');
    }
  }, true);

  function foldFiltersOnPhones() {
    const more = document.querySelector('details[data-kpi-more]');
    if (more && !more.hasAttribute('data-kpi-active') && window.matchMedia('(max-width: 767.98px)').matches) {
      more.open = false;
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', foldFiltersOnPhones);
  } else {
    foldFiltersOnPhones();
  }
})();
