/*
 * The director's dashboard: draws the charts of insight/dashboard.html with ECharts from the
 * data the server put in <script id="dashboard-data" type="application/json"> (json_script).
 * Every point, slice and bar opens the orders behind it (the drill-down page). Charts follow
 * their box's size (laptop, phone). Tooltips are drawn on the canvas (renderMode "richText"):
 * ECharts' HTML tooltips carry style attributes the CSP refuses.
 */
(function () {
  'use strict';

  var COLOURS = ['#1f7a55', '#3b82c4', '#e0a100', '#c0392b', '#7b5ea7', '#16a3a3', '#8a6d3b', '#d35400', '#5d6d7e', '#27ae60'];
  var FONT = getComputedStyle(document.documentElement).getPropertyValue('--hq-font') || 'sans-serif';
  var charts = [];
  // Below this width (px) the category ring is drawn without labels around it.
  var NARROW_PIE = 360;

  function readData() {
    var node = document.getElementById('dashboard-data');
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent);
    } catch (err) {
      return null;
    }
  }

  function shortDay(iso) {
    return iso ? iso.slice(5) : iso; // 2026-11-03 → 11-03
  }

  function hasValues(list) {
    return (list || []).some(function (value) { return value !== null && value !== 0; });
  }

  function base(labels) {
    return {
      color: COLOURS,
      textStyle: { fontFamily: FONT },
      animationDuration: 400,
      tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
      legend: { top: 0, type: 'scroll', textStyle: { fontSize: 12 } },
      grid: { left: 8, right: 12, top: 34, bottom: 8, containLabel: true },
      graphic: []
    };
  }

  function emptyNote(option, labels) {
    option.graphic = [{
      type: 'text',
      left: 'center',
      top: 'middle',
      style: { text: labels.no_data, fill: '#6c757d', fontSize: 13 }
    }];
    return option;
  }

  function dayAxis(trend) {
    return {
      type: 'category',
      data: trend.dates.map(shortDay),
      axisTick: { alignWithLabel: true },
      axisLabel: { hideOverlap: true }
    };
  }

  function lineSeries(id, name, data, extra) {
    var series = {
      id: id,
      name: name,
      type: 'line',
      data: data,
      smooth: false,
      symbolSize: 6,
      connectNulls: false,
      emphasis: { focus: 'series' }
    };
    return Object.assign(series, extra || {});
  }

  var builders = {
    volume: function (data) {
      var trend = data.trend;
      var labels = data.labels;
      var option = base(labels);
      option.xAxis = dayAxis(trend);
      option.yAxis = { type: 'value', minInterval: 1 };
      option.series = [
        { id: 'created', name: labels.created, type: 'bar', data: trend.created, barMaxWidth: 18 },
        lineSeries('completed', labels.completed, trend.completed)
      ];
      return hasValues(trend.created) || hasValues(trend.completed) ? option : emptyNote(option, labels);
    },
    quality: function (data) {
      var trend = data.trend;
      var labels = data.labels;
      var option = base(labels);
      option.xAxis = dayAxis(trend);
      option.yAxis = [
        { type: 'value', name: '%', max: 100, scale: true, axisLabel: { formatter: '{value}' } },
        { type: 'value', name: '1–5', min: 1, max: 5, splitLine: { show: false } }
      ];
      option.series = [
        lineSeries('on_time', labels.on_time, trend.on_time, { yAxisIndex: 0 }),
        lineSeries('satisfaction', labels.satisfaction, trend.satisfaction, { yAxisIndex: 1, lineStyle: { type: 'dashed' } })
      ];
      option.color = ['#1f7a55', '#e0a100'];
      return hasValues(trend.on_time) || hasValues(trend.satisfaction) ? option : emptyNote(option, labels);
    },
    response: function (data) {
      var trend = data.trend;
      var labels = data.labels;
      var option = base(labels);
      option.xAxis = dayAxis(trend);
      option.yAxis = { type: 'value', name: labels.minutes };
      option.series = [
        lineSeries('response', labels.median, trend.response_median),
        lineSeries('response', labels.p90, trend.response_p90, { id: 'response_p90', lineStyle: { type: 'dashed' } })
      ];
      option.color = ['#3b82c4', '#c0392b'];
      return hasValues(trend.response_median) ? option : emptyNote(option, labels);
    },
    completion: function (data) {
      var trend = data.trend;
      var labels = data.labels;
      var option = base(labels);
      option.xAxis = dayAxis(trend);
      option.yAxis = { type: 'value', name: labels.hours };
      option.series = [
        lineSeries('completion', labels.median, trend.completion_median),
        lineSeries('completion', labels.p90, trend.completion_p90, { id: 'completion_p90', lineStyle: { type: 'dashed' } })
      ];
      option.color = ['#1f7a55', '#c0392b'];
      return hasValues(trend.completion_median) ? option : emptyNote(option, labels);
    },
    categories: function (data, box) {
      var labels = data.labels;
      var option = base(labels);
      // On a phone the labels around the ring would be cut at the box's edge: the legend and
      // the tooltip name the slices there.
      var narrow = box && box.clientWidth < NARROW_PIE;
      option.tooltip = { trigger: 'item', renderMode: 'richText', confine: true, formatter: '{b}: {c} ({d}%)' };
      option.legend = { type: 'scroll', bottom: 0, textStyle: { fontSize: 12 } };
      option.series = [{
        id: 'categories',
        type: 'pie',
        radius: narrow ? ['42%', '72%'] : ['38%', '66%'],
        minShowLabelAngle: 6,
        center: ['50%', '44%'],
        avoidLabelOverlap: true,
        label: narrow ? { show: false } : { formatter: '{b}\n{d}%', fontSize: 11 },
        labelLine: { show: !narrow },
        data: data.categories.map(function (row) { return { name: row.name, value: row.value, url: row.url }; })
      }];
      return data.categories.length ? option : emptyNote(option, labels);
    },
    workers: function (data) {
      var labels = data.labels;
      var rows = data.workers.slice().reverse(); // the busiest on top
      var option = base(labels);
      option.legend = { show: false };
      option.tooltip = { trigger: 'item', renderMode: 'richText', confine: true };
      option.grid = { left: 8, right: 40, top: 8, bottom: 8, containLabel: true };
      option.xAxis = { type: 'value', name: '', splitLine: { lineStyle: { type: 'dashed' } } };
      option.yAxis = {
        type: 'category',
        data: rows.map(function (row) { return row.name; }),
        axisLabel: { width: 96, overflow: 'truncate' }
      };
      option.series = [{
        id: 'workers',
        name: labels.points,
        type: 'bar',
        barMaxWidth: 16,
        label: { show: true, position: 'right', fontSize: 11 },
        data: rows.map(function (row) {
          return { value: row.points, name: row.name + (row.team ? ' · ' + row.team : ''), url: row.url };
        })
      }];
      return rows.length ? option : emptyNote(option, labels);
    }
  };

  // Where a click on a point goes: the item's own url, else the series' link for that day.
  function onClick(data) {
    return function (params) {
      var url = params.data && params.data.url;
      if (!url && data.trend && params.seriesId) {
        var key = params.seriesId.replace(/_p90$/, '');
        var template = data.trend.links[key];
        var day = data.trend.dates[params.dataIndex];
        if (template && day) {
          url = template.split(data.trend.day).join(day);
        }
      }
      if (url) {
        window.location.href = url;
      }
    };
  }

  function draw() {
    if (typeof window.echarts === 'undefined') {
      return;
    }
    var data = readData();
    if (!data) {
      return;
    }
    document.querySelectorAll('[data-chart]').forEach(function (box) {
      var build = builders[box.dataset.chart];
      if (!build) {
        return;
      }
      var chart = window.echarts.init(box, null, { renderer: 'canvas' });
      chart.setOption(build(data, box));
      chart.on('click', onClick(data));
      charts.push(chart);
      if (typeof ResizeObserver !== 'undefined') {
        new ResizeObserver(function () { chart.resize(); }).observe(box);
      }
    });
    markReady();
  }

  // Tells tests and screenshots that the charts are drawn.
  function markReady() {
    document.documentElement.dataset.chartsReady = String(charts.length);
  }

  window.addEventListener('resize', function () {
    charts.forEach(function (chart) { chart.resize(); });
  });

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', draw);
  } else {
    draw();
  }
})();
