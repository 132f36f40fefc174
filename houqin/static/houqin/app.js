/*
 * houqin — site-wide behaviour. Plain ES2017, no build step.
 *
 * Load with <script src="{% static 'houqin/app.js' %}" defer></script>,
 * after htmx. A strict CSP forbids inline script, so every behaviour here
 * is bound by event delegation on `document` from data-* attributes; that
 * also makes it work for markup that htmx swaps in later.
 *
 *   <meta name="csrf-token" content="{{ csrf_token }}">  CSRF header for htmx
 *   [data-picker][data-picker-url]                     autocomplete picker
 *   [data-confirm="message"]                           confirm before acting
 *   select[data-autosubmit]                            submit form on change
 *   [data-print]                                       window.print()
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------------
  // htmx: CSRF token on every request; no injected <style> (strict CSP,
  // the indicator rules are in app.css).
  // ---------------------------------------------------------------------

  // Translated texts come from data-msg-* attributes on <body>, rendered by the server.
  function pageText(name, fallback) {
    return (document.body && document.body.dataset[name]) || fallback;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  if (window.htmx && window.htmx.config) {
    // htmx applies this on DOMContentLoaded, which comes after deferred
    // scripts have run; a <meta name="htmx-config"> still takes precedence.
    window.htmx.config.includeIndicatorStyles = false;
  }

  document.addEventListener('htmx:configRequest', function (evt) {
    const token = csrfToken();
    if (token && evt.detail && evt.detail.headers) {
      evt.detail.headers['X-CSRFToken'] = token;
    }
  });

  // ---------------------------------------------------------------------
  // Picker: autocomplete under a text input.
  //
  //   <div class="hq-picker" data-picker data-picker-url="/org/locations/search/">
  //     <input type="text" class="form-control hq-picker-input" value="{{ label }}">
  //     <input type="hidden" name="location" value="{{ id }}">
  //     <div class="hq-picker-results"></div>
  //   </div>
  //
  // The URL answers GET ?q=TEXT with
  //   {"items": [{"id": 1, "label": "...", "detail": "..."}]}
  // Optional attributes on the wrapper: data-picker-min (minimum length,
  // default 1), data-picker-empty-text, data-picker-error-text.
  // On selection the hidden input gets the id and fires 'change'; the
  // wrapper also fires 'hq:picked' with {id, label, detail} in detail.
  // ---------------------------------------------------------------------

  const DEBOUNCE_MS = 150;
  const pickerState = new WeakMap();
  let pickerSeq = 0;

  function pickerParts(wrapper) {
    return {
      input: wrapper.querySelector('input.hq-picker-input'),
      hidden: wrapper.querySelector('input[type="hidden"]'),
      results: wrapper.querySelector('.hq-picker-results'),
    };
  }

  function pickerStateOf(wrapper) {
    let state = pickerState.get(wrapper);
    if (!state) {
      state = { timer: null, controller: null, items: [], active: -1, seq: 0 };
      pickerState.set(wrapper, state);
    }
    return state;
  }

  function pickerWrapperOfInput(el) {
    if (!el || !el.matches || !el.matches('input.hq-picker-input')) {
      return null;
    }
    return el.closest('[data-picker]');
  }

  // ARIA wiring, done lazily the first time the input is used.
  function pickerSetup(wrapper) {
    if (wrapper.dataset.pickerReady) {
      return;
    }
    const parts = pickerParts(wrapper);
    if (!parts.input || !parts.results) {
      return;
    }
    wrapper.dataset.pickerReady = '1';
    pickerSeq += 1;
    if (!parts.results.id) {
      parts.results.id = 'hq-picker-' + pickerSeq;
    }
    parts.results.setAttribute('role', 'listbox');
    parts.input.setAttribute('role', 'combobox');
    parts.input.setAttribute('aria-autocomplete', 'list');
    parts.input.setAttribute('aria-controls', parts.results.id);
    parts.input.setAttribute('aria-expanded', 'false');
    parts.input.setAttribute('autocomplete', 'off');
  }

  function pickerHide(wrapper) {
    const state = pickerStateOf(wrapper);
    const parts = pickerParts(wrapper);
    state.active = -1;
    if (parts.results) {
      parts.results.hidden = true;
    }
    if (parts.input) {
      parts.input.setAttribute('aria-expanded', 'false');
      parts.input.removeAttribute('aria-activedescendant');
    }
  }

  function pickerCancel(wrapper) {
    const state = pickerStateOf(wrapper);
    if (state.timer) {
      clearTimeout(state.timer);
      state.timer = null;
    }
    if (state.controller) {
      state.controller.abort();
      state.controller = null;
    }
    state.seq += 1; // any answer still on its way is now stale
  }

  function pickerIsOpen(wrapper) {
    const results = pickerParts(wrapper).results;
    return !!results && !results.hidden && results.childElementCount > 0;
  }

  function clearChildren(el) {
    while (el.firstChild) {
      el.removeChild(el.firstChild);
    }
  }

  function pickerShowMessage(wrapper, text) {
    const parts = pickerParts(wrapper);
    const state = pickerStateOf(wrapper);
    state.items = [];
    state.active = -1;
    clearChildren(parts.results);
    const msg = document.createElement('div');
    msg.className = 'hq-picker-empty';
    msg.textContent = text;
    parts.results.appendChild(msg);
    parts.results.hidden = false;
    parts.input.setAttribute('aria-expanded', 'true');
    parts.input.removeAttribute('aria-activedescendant');
  }

  function pickerRender(wrapper, items) {
    const parts = pickerParts(wrapper);
    const state = pickerStateOf(wrapper);
    if (!items.length) {
      pickerShowMessage(wrapper, wrapper.dataset.pickerEmptyText || pageText('msgNoMatch', 'No match'));
      return;
    }
    state.items = items;
    state.active = -1;
    clearChildren(parts.results);
    const frag = document.createDocumentFragment();
    items.forEach(function (item, index) {
      const row = document.createElement('div');
      row.className = 'hq-picker-item';
      row.id = parts.results.id + '-' + index;
      row.setAttribute('role', 'option');
      row.setAttribute('aria-selected', 'false');
      row.dataset.index = String(index);

      const label = document.createElement('span');
      label.className = 'hq-picker-label';
      label.textContent = item.label == null ? '' : String(item.label);
      row.appendChild(label);

      if (item.detail != null && item.detail !== '') {
        const detail = document.createElement('span');
        detail.className = 'hq-picker-detail';
        detail.textContent = String(item.detail);
        row.appendChild(detail);
      }
      frag.appendChild(row);
    });
    parts.results.appendChild(frag);
    parts.results.hidden = false;
    parts.input.setAttribute('aria-expanded', 'true');
  }

  function pickerSetActive(wrapper, index) {
    const parts = pickerParts(wrapper);
    const state = pickerStateOf(wrapper);
    const rows = parts.results.querySelectorAll('.hq-picker-item');
    if (!rows.length) {
      return;
    }
    if (index < 0) {
      index = rows.length - 1;
    } else if (index >= rows.length) {
      index = 0;
    }
    state.active = index;
    rows.forEach(function (row, i) {
      const on = i === index;
      row.classList.toggle('active', on);
      row.setAttribute('aria-selected', on ? 'true' : 'false');
    });
    const current = rows[index];
    parts.input.setAttribute('aria-activedescendant', current.id);
    if (current.scrollIntoView) {
      current.scrollIntoView({ block: 'nearest' });
    }
  }

  function setHidden(hidden, value) {
    if (!hidden || hidden.value === value) {
      return;
    }
    hidden.value = value;
    hidden.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function pickerSelect(wrapper, index) {
    const state = pickerStateOf(wrapper);
    const item = state.items[index];
    if (!item) {
      return;
    }
    const parts = pickerParts(wrapper);
    const label = item.label == null ? '' : String(item.label);
    pickerCancel(wrapper);
    parts.input.value = label;
    if (parts.hidden) {
      parts.hidden.value = item.id == null ? '' : String(item.id);
      parts.hidden.dispatchEvent(new Event('change', { bubbles: true }));
    }
    pickerHide(wrapper);
    wrapper.dispatchEvent(new CustomEvent('hq:picked', {
      bubbles: true,
      detail: { id: item.id, label: label, detail: item.detail },
    }));
  }

  function pickerSearchUrl(wrapper, text) {
    const base = wrapper.dataset.pickerUrl || '';
    const sep = base.indexOf('?') === -1 ? '?' : '&';
    return base + sep + 'q=' + encodeURIComponent(text);
  }

  async function pickerSearch(wrapper, text) {
    const state = pickerStateOf(wrapper);
    if (state.controller) {
      state.controller.abort();
    }
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    state.controller = controller;
    state.seq += 1;
    const seq = state.seq;
    try {
      const response = await fetch(pickerSearchUrl(wrapper, text), {
        method: 'GET',
        headers: { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
        credentials: 'same-origin',
        signal: controller ? controller.signal : undefined,
      });
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      const data = await response.json();
      if (seq !== state.seq || !wrapper.isConnected) {
        return; // a newer search or a selection came in the meantime
      }
      state.controller = null;
      const items = data && Array.isArray(data.items) ? data.items : [];
      pickerRender(wrapper, items);
    } catch (err) {
      if (err && err.name === 'AbortError') {
        return;
      }
      if (seq !== state.seq || !wrapper.isConnected) {
        return;
      }
      state.controller = null;
      pickerShowMessage(wrapper, wrapper.dataset.pickerErrorText || pageText('msgSearchFailed', 'Search failed, please try again'));
    }
  }

  function pickerSchedule(wrapper) {
    const parts = pickerParts(wrapper);
    if (!parts.input || !parts.results) {
      return;
    }
    pickerSetup(wrapper);
    const state = pickerStateOf(wrapper);
    const text = parts.input.value.trim();
    const min = parseInt(wrapper.dataset.pickerMin || '1', 10) || 1;

    pickerCancel(wrapper);
    if (text.length < min) {
      pickerHide(wrapper);
      return;
    }
    state.timer = setTimeout(function () {
      state.timer = null;
      pickerSearch(wrapper, text);
    }, DEBOUNCE_MS);
  }

  document.addEventListener('input', function (evt) {
    const wrapper = pickerWrapperOfInput(evt.target);
    if (!wrapper) {
      return;
    }
    // The typed text no longer names the selected object: forget the id,
    // so a half-edited label is never submitted with a stale id.
    setHidden(pickerParts(wrapper).hidden, '');
    if (evt.isComposing) {
      return; // IME (pinyin) still composing: search on compositionend
    }
    pickerSchedule(wrapper);
  });

  document.addEventListener('compositionend', function (evt) {
    const wrapper = pickerWrapperOfInput(evt.target);
    if (wrapper) {
      pickerSchedule(wrapper);
    }
  });

  document.addEventListener('keydown', function (evt) {
    const wrapper = pickerWrapperOfInput(evt.target);
    if (!wrapper || evt.isComposing || evt.keyCode === 229) {
      return;
    }
    const state = pickerStateOf(wrapper);
    const open = pickerIsOpen(wrapper);
    switch (evt.key) {
      case 'ArrowDown':
      case 'Down':
        if (open) {
          evt.preventDefault();
          pickerSetActive(wrapper, state.active + 1);
        } else if (state.items.length) {
          evt.preventDefault();
          pickerRender(wrapper, state.items);
          pickerSetActive(wrapper, 0);
        }
        break;
      case 'ArrowUp':
      case 'Up':
        if (open) {
          evt.preventDefault();
          pickerSetActive(wrapper, state.active - 1);
        }
        break;
      case 'Enter':
        if (open && state.active >= 0) {
          evt.preventDefault(); // pick, do not submit the form
          pickerSelect(wrapper, state.active);
        }
        break;
      case 'Escape':
      case 'Esc':
        if (open) {
          evt.preventDefault();
          pickerCancel(wrapper);
          pickerHide(wrapper);
        }
        break;
      case 'Tab':
        pickerHide(wrapper);
        break;
      default:
        break;
    }
  });

  // Keep focus in the input while clicking the list (also its scrollbar),
  // so that focusout does not close the list before the click lands.
  document.addEventListener('mousedown', function (evt) {
    const results = evt.target.closest && evt.target.closest('[data-picker] .hq-picker-results');
    if (results) {
      evt.preventDefault();
    }
  });

  document.addEventListener('click', function (evt) {
    const row = evt.target.closest && evt.target.closest('[data-picker] .hq-picker-item');
    if (!row) {
      return;
    }
    const wrapper = row.closest('[data-picker]');
    evt.preventDefault();
    pickerSelect(wrapper, parseInt(row.dataset.index, 10));
  });

  document.addEventListener('mouseover', function (evt) {
    const row = evt.target.closest && evt.target.closest('[data-picker] .hq-picker-item');
    if (!row) {
      return;
    }
    const wrapper = row.closest('[data-picker]');
    const index = parseInt(row.dataset.index, 10);
    if (pickerStateOf(wrapper).active !== index) {
      pickerSetActive(wrapper, index);
    }
  });

  document.addEventListener('focusin', function (evt) {
    const wrapper = pickerWrapperOfInput(evt.target);
    if (wrapper) {
      pickerSetup(wrapper);
    }
  });

  document.addEventListener('focusout', function (evt) {
    const wrapper = pickerWrapperOfInput(evt.target);
    if (!wrapper) {
      return;
    }
    if (evt.relatedTarget && wrapper.contains(evt.relatedTarget)) {
      return;
    }
    pickerCancel(wrapper);
    pickerHide(wrapper);
  });

  // ---------------------------------------------------------------------
  // [data-confirm]: ask before a form submits or a button/link acts.
  // Capture phase, so the question comes before htmx's own handlers on
  // the element, and a "no" stops them.
  // ---------------------------------------------------------------------

  

  function confirmMessage(el) {
    return el.getAttribute('data-confirm') || pageText('msgConfirm', 'Are you sure?');
  }

  document.addEventListener('click', function (evt) {
    const el = evt.target.closest && evt.target.closest('[data-confirm]');
    if (!el || el.tagName === 'FORM') {
      return;
    }
    if (!window.confirm(confirmMessage(el))) {
      evt.preventDefault();
      evt.stopPropagation();
      evt.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener('submit', function (evt) {
    const form = evt.target;
    if (!form || !form.matches || !form.matches('form[data-confirm]')) {
      return;
    }
    // Already asked when its submit button (with its own data-confirm) was clicked.
    const submitter = evt.submitter;
    if (submitter && submitter.hasAttribute('data-confirm')) {
      return;
    }
    if (!window.confirm(confirmMessage(form))) {
      evt.preventDefault();
      evt.stopPropagation();
      evt.stopImmediatePropagation();
    }
  }, true);


  // ---------------------------------------------------------------------
  // A picker whose text was typed but nothing chosen from the list must not
  // submit as "empty" (that would, e.g., move a location to the top level).
  // ---------------------------------------------------------------------

  document.addEventListener('submit', function (evt) {
    const form = evt.target;
    if (!form || !form.querySelectorAll) {
      return;
    }
    const pickers = form.querySelectorAll('[data-picker]');
    for (let i = 0; i < pickers.length; i++) {
      const text = pickers[i].querySelector('.hq-picker-input');
      const hidden = pickers[i].querySelector('input[type=hidden]');
      if (text && hidden && text.value.trim() !== '' && hidden.value === '') {
        evt.preventDefault();
        evt.stopImmediatePropagation();
        text.classList.add('is-invalid');
        text.setAttribute('title', pickers[i].getAttribute('data-picker-unchosen-text') || pageText('msgChooseFromList', 'Choose an entry from the list, or clear the box.'));
        text.focus();
        return;
      }
    }
  }, true);

  // ---------------------------------------------------------------------
  // select[data-autosubmit] (e.g. the language switcher) submits its form.
  // ---------------------------------------------------------------------

  document.addEventListener('change', function (evt) {
    const select = evt.target;
    if (!select || !select.matches || !select.matches('select[data-autosubmit]')) {
      return;
    }
    const form = select.form;
    if (!form) {
      return;
    }
    if (typeof form.requestSubmit === 'function') {
      form.requestSubmit(); // fires 'submit', so htmx/confirm handlers run
    } else {
      form.submit();
    }
  });

  // ---------------------------------------------------------------------
  // [data-print]: print the page (label sheets, reports).
  // ---------------------------------------------------------------------

  document.addEventListener('click', function (evt) {
    const el = evt.target.closest && evt.target.closest('[data-print]');
    if (!el) {
      return;
    }
    evt.preventDefault();
    window.print();
  });
})();
