/*
 * The big screen (insight/screen.html): the clock, the two charts (today's orders by status,
 * open orders by building as a treemap coloured by the share overdue) drawn with ECharts from
 * <script id="screen-data" type="application/json">, and the state of the connection.
 *
 * htmx polls the live part every 30 seconds and swaps it; the chart boxes are kept
 * (hx-preserve) and redrawn from the new data. When the server does not answer, the last
 * figures stay up with a red dot and the time they are from; polling goes on by itself. When
 * the screen is no longer allowed (its display was revoked: 404) the figures are taken down.
 */
(function () {
  'use strict';

  var FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';
  var TEXT = '#dbe7f0';
  var MUTED = '#8ba3b5';
  var charts = {};

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function message(name, time) {
    var text = document.body.dataset[name] || '';
    return text.replace('%(time)s', time || '');
  }

  // --- clock ------------------------------------------------------------------------------------

  // The hospital's time, whatever the wall computer's time zone.
  var clockParts = null;
  try {
    clockParts = new Intl.DateTimeFormat('en-CA', {
      timeZone: document.body.dataset.timeZone || undefined,
      year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
    });
  } catch (err) {
    clockParts = null;
  }

  function tick() {
    var now = new Date();
    var part = {};
    if (clockParts) {
      clockParts.formatToParts(now).forEach(function (p) { part[p.type] = p.value; });
    } else {
      part = {
        year: now.getFullYear(), month: pad(now.getMonth() + 1), day: pad(now.getDate()),
        hour: pad(now.getHours()), minute: pad(now.getMinutes()), second: pad(now.getSeconds())
      };
    }
    var time = document.getElementById('screen-clock-time');
    var date = document.getElementById('screen-clock-date');
    if (time) {
      time.textContent = part.hour + ':' + part.minute + ':' + part.second;
    }
    if (date) {
      date.textContent = part.year + '-' + part.month + '-' + part.day;
    }
  }

  // --- charts -------------------------------------------------------------------------------------

  function readData() {
    var node = document.getElementById('screen-data');
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent);
    } catch (err) {
      return null;
    }
  }

  function mix(a, b, t) {
    var from = [parseInt(a.slice(1, 3), 16), parseInt(a.slice(3, 5), 16), parseInt(a.slice(5, 7), 16)];
    var to = [parseInt(b.slice(1, 3), 16), parseInt(b.slice(3, 5), 16), parseInt(b.slice(5, 7), 16)];
    return '#' + from.map(function (value, i) {
      var channel = Math.round(value + (to[i] - value) * t);
      return pad16(channel);
    }).join('');
  }

  function pad16(n) {
    var text = n.toString(16);
    return text.length < 2 ? '0' + text : text;
  }

  // Green when nothing is overdue, amber at a quarter, red from half on.
  function overdueColour(share) {
    if (share <= 0) {
      return '#1f9d6b';
    }
    if (share < 0.25) {
      return mix('#1f9d6b', '#d9a400', share / 0.25);
    }
    return mix('#d9a400', '#d64545', Math.min((share - 0.25) / 0.25, 1));
  }

  function emptyGraphic(text) {
    return [{ type: 'text', left: 'center', top: 'middle', style: { text: text, fill: MUTED, fontSize: 18 } }];
  }

  var builders = {
    statuses: function (data) {
      var rows = data.statuses;
      return {
        textStyle: { fontFamily: FONT, color: TEXT },
        animationDurationUpdate: 600,
        tooltip: { trigger: 'item', renderMode: 'richText', formatter: '{b}: {c} ({d}%)' },
        legend: { show: false },
        graphic: rows.length ? [] : emptyGraphic(data.labels.no_orders_today),
        series: [{
          id: 'statuses',
          type: 'pie',
          radius: ['42%', '72%'],
          center: ['50%', '52%'],
          minAngle: 4,
          itemStyle: { borderColor: '#0f2130', borderWidth: 2 },
          label: { color: TEXT, formatter: '{b}\n{c}', fontSize: 13, lineHeight: 16 },
          labelLine: { lineStyle: { color: MUTED } },
          data: rows.map(function (row) {
            return { name: row.name, value: row.value, itemStyle: { color: row.colour } };
          })
        }]
      };
    },
    buildings: function (data, box) {
      var labels = data.labels;
      var small = box.clientWidth < 560;
      function node(row) {
        if (row.children) {
          return {
            name: row.name,
            value: row.value,
            children: row.children.map(node),
            itemStyle: { color: '#12314a', borderColor: '#12314a', borderWidth: 2, gapWidth: 3 }
          };
        }
        return { name: row.name, value: row.value, overdue: row.overdue, itemStyle: { color: overdueColour(row.share) } };
      }
      return {
        textStyle: { fontFamily: FONT, color: TEXT },
        animationDurationUpdate: 600,
        tooltip: {
          renderMode: 'richText',
          formatter: function (params) {
            var row = params.data || {};
            return params.name + ': ' + row.value + ' ' + labels.orders + (row.overdue ? ', ' + row.overdue + ' ' + labels.overdue : '');
          }
        },
        graphic: data.buildings.length ? [] : emptyGraphic(labels.no_open_orders),
        series: [{
          id: 'buildings',
          type: 'treemap',
          roam: false,
          nodeClick: false,
          breadcrumb: { show: false },
          width: '100%',
          height: '100%',
          top: 0,
          left: 0,
          squareRatio: 0.8,
          itemStyle: { borderColor: '#0f2130', borderWidth: 2, gapWidth: 2 },
          label: {
            show: true,
            color: '#fff',
            fontSize: small ? 12 : 15,
            lineHeight: small ? 15 : 20,
            overflow: 'truncate',
            formatter: function (params) {
              var row = params.data || {};
              return params.name + '\n' + row.value + (row.overdue ? '  ⚠ ' + row.overdue : '');
            }
          },
          upperLabel: { show: true, height: small ? 20 : 26, color: TEXT, fontSize: small ? 12 : 15, fontWeight: 'bold' },
          data: data.buildings.map(node)
        }]
      };
    }
  };

  function drawCharts(animate) {
    if (typeof window.echarts === 'undefined') {
      return;
    }
    var data = readData();
    if (!data) {
      return;
    }
    document.querySelectorAll('[data-screen-chart]').forEach(function (box) {
      var kind = box.dataset.screenChart;
      var build = builders[kind];
      if (!build) {
        return;
      }
      var chart = charts[kind];
      if (!chart || chart.isDisposed() || chart.getDom() !== box) {
        chart = window.echarts.init(box, null, { renderer: 'canvas' });
        charts[kind] = chart;
        if (typeof ResizeObserver !== 'undefined') {
          new ResizeObserver(function () { chart.resize(); }).observe(box);
        }
      }
      var option = build(data, box);
      option.animation = animate !== false;
      chart.setOption(option, { notMerge: true });
    });
    document.documentElement.dataset.chartsReady = String(Object.keys(charts).length);
  }

  // --- connection state ---------------------------------------------------------------------------

  function live() {
    return document.getElementById('screen-live');
  }

  function setStatus(offline, text) {
    document.body.classList.toggle('is-offline', offline);
    var node = document.getElementById('screen-status-text');
    if (node && text) {
      node.textContent = text;
    }
  }

  function lastUpdate() {
    var node = document.getElementById('screen-updated');
    return node ? node.dataset.time : '';
  }

  function fromLive(evt) {
    var target = evt.detail && (evt.detail.elt || evt.detail.target);
    return target && target.id === 'screen-live';
  }

  document.addEventListener('htmx:afterSettle', function (evt) {
    if (!fromLive(evt)) {
      return;
    }
    setStatus(false, message('msgUpdated', lastUpdate()));
    drawCharts(true);
  });

  function offline(evt) {
    if (!fromLive(evt)) {
      return;
    }
    setStatus(true, message('msgOffline', lastUpdate()));
  }

  document.addEventListener('htmx:sendError', offline);
  document.addEventListener('htmx:timeout', offline);
  document.addEventListener('htmx:responseError', function (evt) {
    if (!fromLive(evt)) {
      return;
    }
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (status === 404 || status === 403) {
      // Not allowed any more: take the figures down, keep polling (the display may come back).
      Object.keys(charts).forEach(function (kind) { charts[kind].dispose(); });
      charts = {};
      var main = live();
      if (main) {
        main.replaceChildren();
      }
      setStatus(true, message('msgClosed'));
      return;
    }
    offline(evt);
  });

  // --- full screen, keep the screen awake ------------------------------------------------------------

  function fullScreen() {
    var root = document.documentElement;
    if (root.requestFullscreen && !document.fullscreenElement) {
      root.requestFullscreen().catch(function () {});
    }
  }

  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === 'visible') {
      navigator.wakeLock.request('screen').catch(function () {});
    }
  }

  function start() {
    tick();
    setInterval(tick, 1000);
    drawCharts(true);
    var button = document.getElementById('screen-fullscreen');
    if (button) {
      button.addEventListener('click', fullScreen);
    }
    keepAwake();
    document.addEventListener('visibilitychange', keepAwake);
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (kind) { charts[kind].resize(); });
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
