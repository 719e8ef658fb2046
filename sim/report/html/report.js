// The switchcost HTML report's script (inlined into every page by
// sim/report/html.cpp, after Chart.js 3). It builds the whole page from the
// JSON object in #switchcost-data: {"kind" (run, compare, sensitivity, sensitivity_indices, plan), "report" (the command's --json
// document), "charts" (binned per-trial series, sim/report/html.h)}, with
// renderers[kind]. A new result type adds its renderer to `renderers`.
//
// Every text from the data goes in through textContent (never as HTML), so a
// label cannot inject markup. After Chart.js draws a chart, the page reads
// the canvas's pixels back and marks it data-drawn="yes" when at least
// min_data_pixels pixels have a data colour (the palette's), else "blank";
// <body> gets data-charts (charts made), data-charts-drawn and data-ready
// ("yes", or "error" after an exception, which is also shown and logged).
// tests/html_test.py reads these in a headless browser.
(function () {
  'use strict';

  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  const marker_colors = { P50: '#2ca02c', P90: '#ff7f0e', P95: '#d62728', CVaR95: '#9467bd' };
  const cutoff_color = '#7f0000';
  const min_data_pixels = 50;
  const dash = '\u2014';

  // ---- text and numbers ----
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  const finite = (x) => typeof x === 'number' && isFinite(x);
  const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
  const money = (x) => (finite(x) ? usd.format(x) : dash);
  function money_short(x) {
    if (!finite(x)) return dash;
    const a = Math.abs(x);
    if (a >= 1e6) return (x < 0 ? '-$' : '$') + (a / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e3) return (x < 0 ? '-$' : '$') + (a / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
    return money(x);
  }
  function percent(p, digits) {
    if (!finite(p)) return dash;
    if (digits === undefined) digits = p !== 0 && Math.abs(p) < 0.001 ? 3 : p !== 0 && Math.abs(p) < 0.01 ? 2 : 1;
    return (100 * p).toFixed(digits) + '%';
  }
  const number = (x, digits) => (finite(x) ? x.toFixed(digits) : dash);
  const thousands = (x) => (finite(x) ? Math.round(x).toLocaleString('en-US') : dash);
  // Day numbers are days since 1970-01-01; a completion at day 19994.6 is on
  // the day 19994.
  const iso_of_day = (day) => (finite(day) ? new Date(Math.floor(day) * 864e5).toISOString().slice(0, 10) : dash);
  const day_of_iso = (iso) => Date.parse(iso + 'T00:00:00Z') / 864e5;
  const stat = (s, key) => (s && finite(s[key]) ? s[key] : null);
  const points = (list) => (list || []).map(([x, y]) => ({ x: x, y: y }));

  // ---- charts ----
  const palette_rgb = palette.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
  const made = [];
  const drawn_check = {
    id: 'switchcost_drawn',
    afterDraw(chart) {
      const canvas = chart.canvas;
      if (canvas.dataset.drawn === 'yes') return;  // read back once: the first complete draw
      let inked = 0;
      const px = chart.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] < 48) continue;
        for (const rgb of palette_rgb) {
          if (Math.abs(px[i] - rgb[0]) + Math.abs(px[i + 1] - rgb[1]) + Math.abs(px[i + 2] - rgb[2]) < 60) {
            ++inked;
            break;
          }
        }
      }
      canvas.dataset.dataPixels = String(inked);
      canvas.dataset.drawn = inked >= min_data_pixels ? 'yes' : 'blank';
    },
  };
  function with_alpha(color, alpha) {
    return color + Math.round(alpha * 255).toString(16).padStart(2, '0');
  }
  // height: of the chart's box in px (default: the style's); plugin: one more Chart.js plugin.
  function chart(parent, id, title, caption, config, height, plugin) {
    const canvas = el('canvas', { id: 'chart-' + id, role: 'img', 'aria-label': title });
    const box = el('div', { class: 'chart-box' }, canvas);
    if (height) box.style.height = height + 'px';
    const figure = el('figure', { class: 'chart', id: 'figure-' + id },
      el('figcaption', {}, el('strong', { text: title }), caption || null), box);
    parent.append(figure);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false } }, config.options || {});
    config.options.plugins = Object.assign({ legend: { labels: { boxWidth: 14 } } }, config.options.plugins || {});
    config.plugins = plugin ? [plugin, drawn_check] : [drawn_check];
    made.push(new Chart(canvas, config));
  }
  function vertical_line(label, x, y_lo, y_hi, color, dashed) {
    return { type: 'line', label: label, data: [{ x: x, y: y_lo }, { x: x, y: y_hi }], borderColor: color,
      backgroundColor: color, borderWidth: 2, borderDash: dashed ? [6, 4] : [], pointRadius: 0, fill: false };
  }
  // P50, P90, P95 and CVaR95 of a cost's statistics, as vertical lines.
  function marks_of(s) {
    return ['P50', 'P90', 'P95', 'CVaR95'].map((name) => ({ name: name, value: stat(s, name.toLowerCase()) }))
      .filter((m) => m.value !== null);
  }
  function marker_lines(marks, y_lo, y_hi) {
    return marks.map((m) => vertical_line(m.name + ' ' + money(m.value), m.value, y_lo, y_hi, marker_colors[m.name], true));
  }
  const money_axis = (title) => ({ type: 'linear', title: { display: true, text: title },
    ticks: { callback: (v) => money_short(v), includeBounds: false } });
  const dashes = [[], [8, 4], [3, 3], [12, 4, 3, 4]];  // lines that coincide stay told apart
  const share_axis = (title) => ({ type: 'linear', min: 0, title: { display: true, text: title },
    ticks: { callback: (v) => percent(v, 0) } });
  function log_share_axis(title, min) {
    return { type: 'logarithmic', min: min, max: 1, title: { display: true, text: title },
      ticks: { callback: (v) => {
        const l = Math.log10(v);
        return Math.abs(l - Math.round(l)) < 1e-9 ? percent(v, Math.max(0, -Math.round(l) - 2)) : '';
      } } };
  }
  const date_axis = (title) => ({ type: 'linear', title: { display: true, text: title },
    ticks: { callback: (v) => iso_of_day(v), maxRotation: 0, autoSkipPadding: 12 } });
  const money_tooltip = { callbacks: { label: (c) => c.dataset.label + ': ' + money(c.parsed.x) } };
  // The least P of exceedance curves, rounded down to a power of ten.
  function least_p(curves) {
    let least = 1;
    for (const c of curves) for (const [, p] of c) if (p > 0) least = Math.min(least, p);
    return Math.pow(10, Math.floor(Math.log10(least) + 1e-9));
  }

  // ---- tables ----
  // columns: [{title, value(row) -> raw (number, string or null), format(raw, row) -> text, text: bool}]
  function sortable_table(parent, id, columns, rows) {
    const table = el('table', { class: 'sortable', id: 'table-' + id });
    const head = el('tr');
    const body = el('tbody');
    const trs = rows.map((row) => {
      const tr = el('tr');
      tr.values = columns.map((c) => c.value(row));
      columns.forEach((c, i) => {
        const raw = tr.values[i];
        tr.append(el('td', c.text ? { class: 'text' } : {},
          c.format ? c.format(raw, row) : raw === null || raw === undefined ? dash : String(raw)));
      });
      return tr;
    });
    body.append(...trs);
    columns.forEach((c, i) => {
      const th = el('th', Object.assign({ scope: 'col', tabindex: '0', title: 'sort by ' + c.title },
        c.text ? { class: 'text' } : {}), c.title);
      const sort = () => {
        const descending = th.getAttribute('aria-sort') === 'ascending';
        for (const other of head.children) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
        const sign = descending ? -1 : 1;
        const order = trs.slice().sort((a, b) => {
          const x = a.values[i], y = b.values[i];
          const x_missing = x === null || x === undefined, y_missing = y === null || y === undefined;
          if (x_missing || y_missing) return x_missing === y_missing ? 0 : x_missing ? 1 : -1;  // missing last
          if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
          return sign * String(x).localeCompare(String(y), 'en', { numeric: true });
        });
        body.replaceChildren(...order);
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
      head.append(th);
    });
    table.append(el('thead', {}, head), body);
    parent.append(el('div', { class: 'table-wrap' }, table));
    return table;
  }
  function figures(parent, items) {
    const box = el('div', { class: 'figures' });
    for (const [label, value, sub] of items)
      box.append(el('div', { class: 'figure' }, el('div', { class: 'label', text: label }),
        el('div', { class: 'value', text: value }), sub ? el('div', { class: 'sub', text: sub }) : null));
    parent.append(box);
  }
  const section = (parent, title) => {
    const s = el('section', {}, el('h2', { text: title }));
    parent.append(s);
    return s;
  };
  const mean_se = (s) => (stat(s, 'mean') === null ? dash : money(s.mean) + ' \u00b1 ' + money(s.se));

  // ---- the manifest, at the foot of every report ----
  function manifest_footer(parent, m) {
    const foot = el('footer', { id: 'manifest' }, el('h2', { text: 'Manifest' }));
    const dl = el('dl');
    const item = (k, v) => dl.append(el('dt', { text: k }), el('dd', { text: v }));
    item('version', 'switchcost ' + m.version + (m.build ? ' (' + m.build + ')' : ''));
    item('command', m.command);
    item('seed', String(m.seed));
    item('trials', thousands(m.trials) + (m.trials !== m.trials_requested ? ' of ' + thousands(m.trials_requested) + ' asked for' : ''));
    item('complete', m.complete ? 'yes' : 'no: stopped early, the figures are of the trials done');
    item('threads', String(m.threads) + ' (results do not depend on it)');
    if (m.msp_stats) item('per-MSP statistics', m.msp_stats + (m.sketch_relative_error ? ' (percentiles within ' + percent(m.sketch_relative_error) + ' relative)' : ''));
    item('arguments', (m.arguments || []).join(' '));
    foot.append(dl);
    sortable_table(foot, 'inputs', [
      { title: 'input file', value: (f) => f.path, text: true },
      { title: 'SHA-256', value: (f) => f.sha256, text: true, format: (v) => el('span', { class: 'hash', text: v }) },
    ], m.inputs || []);
    foot.append(el('p', { text: 'Charts drawn with Chart.js ' + Chart.version + ' (MIT licence), inlined in this file: ' +
      'the report loads nothing from the network.' }));
    parent.append(foot);
  }

  // ---- run ----
  function render_run(root, report, charts) {
    const m = report.manifest;
    const p = report.portfolio;
    const total = p.outputs.total_cost;
    const n = m.trials;
    const msps = report.msps || [];
    document.title = 'switchcost run: ' + (m.arguments || []).join(' ');
    root.append(el('h1', { text: 'Switching cost: ' + (msps.length === 1 ? msps[0].name : msps.length + ' MSPs') }));
    root.append(el('p', { class: 'lede', text: (m.arguments || []).join(' ') + ': ' + thousands(n) + ' trials, seed ' + m.seed +
      '; no new sales from ' + report.timeline.sales_end + ', updates stop at 00:00 on ' + report.timeline.updates_end +
      '; costs to the MSP in USD, the licence price change as a present value over ' + report.timeline.horizon_months + ' months.' }));
    if (!m.complete) root.append(el('p', { class: 'error', text: 'Stopped early: the figures are of ' + thousands(n) + ' of ' + thousands(m.trials_requested) + ' trials.' }));
    const done = p.done_before_updates_stop || {};
    const dates = p.completion_date || {};
    figures(root, [
      ['mean total cost', money(stat(total, 'mean')), stat(total, 'se') !== null ? '\u00b1 ' + money(total.se) + ' (standard error)' : ''],
      ['P50 (median)', money(stat(total, 'p50')), 'half the trials cost less'],
      ['P90', money(stat(total, 'p90')), 'one trial in ten costs more'],
      ['P95', money(stat(total, 'p95')), ''],
      ['CVaR95', money(stat(total, 'cvar95')), 'mean of the worst 5% of trials'],
      ['done before updates stop', percent(done.p), finite(done.se) ? '\u00b1 ' + percent(done.se) + ', cut-off ' + report.timeline.updates_end : ''],
      ['completion date', dates.p50 || dash, 'P90 ' + (dates.p90 || dash)],
      ['duration', number(stat(p.outputs.duration_days, 'p50'), 0) + ' days', 'P90 ' + number(stat(p.outputs.duration_days, 'p90'), 0) + ' days'],
    ]);

    const dist = section(root, 'Total cost');
    const grid = el('div', { class: 'charts' });
    dist.append(grid);
    if (charts.per_trial && charts.total_cost) {
      const h = charts.total_cost.histogram;
      const edge = h.lo + h.bins * h.width;
      const marks = marks_of(total);
      const inside = marks.filter((mk) => mk.value <= edge);
      const outside = marks.filter((mk) => mk.value > edge);
      const bars = h.counts.map((c, i) => ({ x: h.lo + (i + 0.5) * h.width, y: c / n }));
      let top = Math.max(...bars.map((b) => b.y), h.overflow / n);
      const datasets = [{ type: 'bar', label: 'share of trials per ' + money(h.width) + ' bin', data: bars,
        backgroundColor: with_alpha(palette[0], 0.6), borderColor: palette[0], borderWidth: 1,
        barPercentage: 1, categoryPercentage: 1, grouped: false }];
      if (h.overflow > 0)
        datasets.push({ type: 'bar', label: 'beyond ' + money(edge) + ' (' + percent(h.overflow / n) + ' of trials, up to ' + money(h.max) + ')',
          data: [{ x: edge + h.width / 2, y: h.overflow / n }], backgroundColor: with_alpha(palette[1], 0.6),
          borderColor: palette[1], borderWidth: 1, barPercentage: 1, categoryPercentage: 1, grouped: false });
      datasets.push(...marker_lines(inside, 0, top));
      chart(grid, 'histogram', 'Distribution of the total cost',
        'Share of trials by total cost (costs drawn), bins up to P99; the trials beyond are one bar at the right.' +
        (outside.length ? ' ' + outside.map((mk) => mk.name + ' (' + money(mk.value) + ')').join(', ') + ' lie beyond, in that bar.' : ''),
        { type: 'bar', data: { datasets: datasets },
          options: { scales: { x: Object.assign(money_axis('total cost [USD]'), { min: h.lo, max: edge + (h.overflow > 0 ? h.width : 0) }),
            y: share_axis('share of trials') },
          plugins: { tooltip: { callbacks: { label: (c) => c.dataset.type === 'line' ? c.dataset.label : c.dataset.label + ': ' + percent(c.parsed.y) } } } } });
      const curve = charts.total_cost.exceedance;
      const least = least_p([curve]);
      chart(grid, 'exceedance', 'Loss-exceedance curve',
        'P(total > x): the chance that the switch costs more than x, on a log scale so the tail shows (drawn down to 0.1%, or one trial in the run); P50, P90, P95 and CVaR95 marked.',
        { type: 'line', data: { datasets: [{ label: 'P(total cost > x)', data: points(curve), borderColor: palette[0],
          backgroundColor: palette[0], borderWidth: 2, pointRadius: 0, fill: false }, ...marker_lines(marks, least, 1)] },
          options: { scales: { x: money_axis('total cost x [USD]'), y: log_share_axis('P(total cost > x)', least) },
            plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + money(c.parsed.x) + (c.datasetIndex === 0 ? ', ' + percent(c.parsed.y) : '') } } } } });
    } else {
      dist.append(el('p', { class: 'note', text: n > 0 ? 'The per-trial series were not kept: no distribution to draw.' : 'No trial was done.' }));
    }

    const parts = section(root, 'Cost breakdown');
    const lines = (charts.cost_lines || []).filter((c) => c.key !== 'total_cost');
    const lost = p.outputs.lost_updates_cost || {};
    if (n === 0) parts.append(el('p', { class: 'note', text: 'No trial was done.' }));
    else chart(parts, 'breakdown', 'Mean cost by component',
      'Mean over the trials of each component' + (lost.mean_estimator === 'conditional_expectation'
        ? '; lost updates as the expected cost of incidents given each trial\'s inputs (the costs drawn average ' + money(lost.sampled_mean) + ').' : '.'),
      { type: 'bar', data: { labels: lines.map((c) => c.label),
        datasets: [{ label: 'mean [USD]', data: lines.map((c) => stat(p.outputs[c.key], 'mean')),
          backgroundColor: with_alpha(palette[0], 0.75), borderColor: palette[0], borderWidth: 1 }] },
        options: { indexAxis: 'y', scales: { x: money_axis('mean cost [USD]') },
          plugins: { legend: { display: false }, tooltip: money_tooltip } } });

    const time = section(root, 'When the migration is done');
    const sched = charts.schedule;
    if (sched && sched.days && sched.days.length) {
      const cutoff = day_of_iso(charts.updates_end);
      const line = (key) => sched.days.map((d, k) => ({ x: d, y: sched[key][k] }));
      time.append(el('p', { class: 'note', text: 'The share of ' + (msps.length > 1 ? 'the portfolio\'s endpoints (weighted by endpoints)' : 'endpoints') +
        ' moved by each date, from each trial\'s schedule (start delay, setup, then the learning curve over the duration): the median over the trials, and the band between P10 and P90.' }));
      chart(time, 'schedule', 'Migration schedule',
        'Share of endpoints moved by each date: P50 (line) and P10-P90 band, against the day updates stop.',
        { type: 'line', data: { datasets: [
          { label: 'P90', data: line('p90'), borderColor: with_alpha(palette[0], 0.5), backgroundColor: with_alpha(palette[0], 0.2),
            borderWidth: 1, pointRadius: 0, fill: '+1' },
          { label: 'P10', data: line('p10'), borderColor: with_alpha(palette[0], 0.5), backgroundColor: with_alpha(palette[0], 0.2),
            borderWidth: 1, pointRadius: 0, fill: false },
          { label: 'P50 (median)', data: line('p50'), borderColor: palette[0], backgroundColor: palette[0], borderWidth: 3, pointRadius: 0, fill: false },
          vertical_line('updates stop ' + charts.updates_end + ' 00:00', cutoff, 0, 1, cutoff_color, false)] },
          options: { scales: { x: date_axis('date'), y: Object.assign(share_axis('share of endpoints moved'), { max: 1 }) },
            plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + iso_of_day(c.parsed.x) + ', ' + percent(c.parsed.y) } } } } });
    } else {
      time.append(el('p', { class: 'note', text: 'The schedules were not kept (they take 40 bytes per MSP and trial, and are kept up to 64 MiB), so the share of endpoints moved over time is not drawn; the chart shows ' +
        'the distribution of completion dates (the share of trials whose migration is complete by each date) against the day updates stop.' }));
    }
    if (charts.per_trial && charts.completion && charts.completion.length) {
      const cutoff = day_of_iso(charts.updates_end);
      const sets = charts.completion.map((s, i) => ({ label: s.name === 'portfolio' && charts.completion.length > 1 ? 'portfolio (last MSP done)' : s.name,
        data: points(s.cdf), borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length],
        borderWidth: i === 0 ? 3 : 1.5, pointRadius: 0, fill: false, stepped: 'after' }));
      sets.push(vertical_line('updates stop ' + charts.updates_end + ' 00:00', cutoff, 0, 1, cutoff_color, false));
      chart(time, 'completion', 'Completion date',
        'Share of trials complete by each date; ' + percent(done.p) + ' finish before updates stop.',
        { type: 'line', data: { datasets: sets },
          options: { scales: { x: date_axis('completion date'), y: Object.assign(share_axis('share of trials done'), { max: 1 }) },
            plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + iso_of_day(c.parsed.x) + (c.dataset.stepped ? ', ' + percent(c.parsed.y) : '') } } } } });
    }

    const table = section(root, 'Per MSP');
    table.append(el('p', { class: 'note', text: 'Click a column to sort by it (again to reverse). Tail share: the MSP\'s part of the portfolio\'s worst 5% of trials.' }));
    const out = (r, key, field) => stat(r.outputs[key], field);
    sortable_table(table, 'msps', [
      { title: 'MSP', value: (r) => r.name, text: true },
      { title: 'from \u2192 to', value: (r) => r.incumbent + ' \u2192 ' + r.target, text: true },
      { title: 'endpoints', value: (r) => r.endpoints_mean, format: (v) => number(v, 0) },
      { title: 'clients', value: (r) => r.clients_mean, format: (v) => number(v, 0) },
      { title: 'mean', value: (r) => out(r, 'total_cost', 'mean'), format: money },
      { title: 'P50', value: (r) => out(r, 'total_cost', 'p50'), format: money },
      { title: 'P90', value: (r) => out(r, 'total_cost', 'p90'), format: money },
      { title: 'P95', value: (r) => out(r, 'total_cost', 'p95'), format: money },
      { title: 'CVaR95', value: (r) => out(r, 'total_cost', 'cvar95'), format: money },
      { title: 'labor hours', value: (r) => out(r, 'labor_hours', 'mean'), format: (v) => thousands(v) },
      { title: 'days P50', value: (r) => out(r, 'duration_days', 'p50'), format: (v) => number(v, 0) },
      { title: 'done P50', value: (r) => (r.completion_date || {}).p50 || null, text: true },
      { title: 'P(done before stop)', value: (r) => stat(r.done_before_updates_stop, 'p'), format: (v) => percent(v) },
      { title: 'tail share', value: (r) => (finite(r.tail_share) ? r.tail_share : null), format: (v) => percent(v) },
    ], msps);
  }

  // ---- compare ----
  // inside_plan: drawn under a plan's own sections (no title, heading or lede).
  function render_compare(root, report, charts, inside_plan) {
    const m = report.manifest;
    const n = m.trials;
    const alts = report.alternatives || [];
    const base = alts[0] || { label: '' };
    if (!inside_plan) {
      document.title = 'switchcost compare: ' + alts.map((a) => a.label).join(', ');
      root.append(el('h1', { text: 'Comparing ' + alts.length + ' alternatives' }));
      root.append(el('p', { class: 'lede', text: alts.map((a) => a.label).join(', ') + ' (baseline: ' + base.label + '): ' + thousands(n) +
        ' trials, seed ' + m.seed + ', on common random numbers: an input the alternatives share draws the same value in each, ' +
        'so the paired differences measure only what changed. Updates stop at 00:00 on ' + charts.updates_end + '.' }));
      if (!m.complete) root.append(el('p', { class: 'error', text: 'Stopped early: the figures are of ' + thousands(n) + ' of ' + thousands(m.trials_requested) + ' trials.' }));
    }

    const summary = section(root, 'Total cost by alternative');
    summary.append(el('p', { class: 'note', text: 'Means of the expected total given each trial\'s inputs, \u00b1 their standard error; differences are to the baseline, trial by trial, with their 95% confidence interval. P(cheaper) and P(same) compare with the baseline, P(cheapest) with all. Click a column to sort.' }));
    const diff = (a) => a.vs_baseline || null;
    sortable_table(summary, 'alternatives', [
      { title: 'alternative', value: (a) => a.label, text: true, format: (v, a) => v + (a.baseline ? ' (baseline)' : '') },
      { title: 'rank', value: (a) => a.rank },
      { title: 'mean \u00b1 SE', value: (a) => stat(a.total_cost, 'mean'), format: (v, a) => mean_se(a.total_cost) },
      { title: 'P50', value: (a) => stat(a.total_cost, 'p50'), format: money },
      { title: 'P90', value: (a) => stat(a.total_cost, 'p90'), format: money },
      { title: 'P95', value: (a) => stat(a.total_cost, 'p95'), format: money },
      { title: 'CVaR95', value: (a) => stat(a.total_cost, 'cvar95'), format: money },
      { title: 'vs baseline [95% CI]', value: (a) => (a.baseline || !diff(a) ? null : stat(diff(a), 'mean')),
        format: (v, a) => (v === null ? dash : (v >= 0 ? '+' : '') + money(v) + ' [' + money(diff(a).ci95[0]) + ', ' + money(diff(a).ci95[1]) + ']') },
      { title: 'P(cheaper)', value: (a) => (a.baseline || !diff(a) ? null : stat(diff(a), 'p_cheaper')), format: (v) => percent(v) },
      { title: 'P(same)', value: (a) => (a.baseline || !diff(a) ? null : stat(diff(a), 'p_same')), format: (v) => percent(v) },
      { title: 'P(cheapest)', value: (a) => (finite(a.p_cheapest) ? a.p_cheapest : null), format: (v) => percent(v) },
    ], alts);

    const dist = section(root, 'Distributions side by side');
    const grid = el('div', { class: 'charts' });
    dist.append(grid);
    if (charts.per_trial && charts.alternatives) {
      const curves = charts.alternatives.map((a) => a.exceedance);
      const least = least_p(curves);
      chart(grid, 'exceedance', 'Loss-exceedance curves',
        'P(total > x) for each alternative, on a log scale so the tails show: a curve to the left is cheaper at that risk level.',
        { type: 'line', data: { datasets: charts.alternatives.map((a, i) => ({ label: a.label, data: points(a.exceedance),
          borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], borderWidth: 2,
          borderDash: dashes[i % dashes.length], pointRadius: 0, fill: false })) },
          options: { scales: { x: money_axis('total cost x [USD]'), y: log_share_axis('P(total cost > x)', least) },
            plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + money(c.parsed.x) + ', ' + percent(c.parsed.y) } } } } });
      const h = charts.histogram;
      const edge = h.lo + h.bins * h.width;
      chart(grid, 'histograms', 'Total cost distributions',
        'Share of trials per ' + money(h.width) + ' bin (costs drawn), common bins up to the highest P99; the trials beyond are counted in the legend.',
        { type: 'line', data: { datasets: charts.alternatives.map((a, i) => ({
          label: a.label + (a.histogram.overflow ? ' (' + percent(a.histogram.overflow / n) + ' beyond ' + money_short(edge) + ', up to ' + money_short(a.histogram.max) + ')' : ''),
          data: a.histogram.counts.map((c, b) => ({ x: h.lo + (b + 0.5) * h.width, y: c / n })),
          borderColor: palette[i % palette.length], backgroundColor: with_alpha(palette[i % palette.length], 0.15),
          borderWidth: 2, pointRadius: 0, fill: true, stepped: 'middle' })) },
          options: { scales: { x: Object.assign(money_axis('total cost [USD]'), { min: h.lo, max: edge }), y: share_axis('share of trials') },
            plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + percent(c.parsed.y) } } } } });
    } else {
      dist.append(el('p', { class: 'note', text: n > 0 ? 'The per-trial series were not kept: no distribution to draw.' : 'No trial was done.' }));
    }

    const paired = section(root, 'Differences to the baseline');
    const pgrid = el('div', { class: 'charts' });
    paired.append(pgrid);
    const variants = alts.filter((a) => !a.baseline && diff(a) && stat(diff(a), 'mean') !== null);
    if (variants.length) {
      chart(pgrid, 'differences', 'Paired difference to ' + base.label,
        'Mean of (alternative - baseline), trial by trial, with its 95% confidence interval (the bar); right of zero costs more.',
        { type: 'bar', data: { labels: variants.map((a) => a.label), datasets: [
          { type: 'bar', label: '95% confidence interval', data: variants.map((a) => diff(a).ci95),
            backgroundColor: with_alpha(palette[0], 0.45), borderColor: palette[0], borderWidth: 1, minBarLength: 4 },
          { type: 'line', label: 'mean difference', data: variants.map((a) => diff(a).mean), showLine: false,
            pointRadius: 6, pointStyle: 'rectRot', borderColor: palette[1], backgroundColor: palette[1] }] },
          options: { indexAxis: 'y', scales: { x: Object.assign(money_axis('difference to ' + base.label + ' [USD]'), { beginAtZero: true }) },
            plugins: { tooltip: { callbacks: { label: (c) => c.datasetIndex === 0
              ? '95% CI ' + money(c.raw[0]) + ' to ' + money(c.raw[1]) : 'mean ' + money(c.raw) } } } } });
    }
    if (n > 0) chart(pgrid, 'chances', 'P(cheaper), P(same), P(cheapest)',
      'Share of trials in which each alternative costs less than the baseline, exactly the same, or the least of all (ties split).',
      { type: 'bar', data: { labels: alts.map((a) => a.label), datasets: [
        { label: 'P(cheaper than ' + base.label + ')', data: alts.map((a) => (a.baseline || !diff(a) ? null : diff(a).p_cheaper)),
          backgroundColor: with_alpha(palette[2], 0.8), borderColor: palette[2], borderWidth: 1, minBarLength: 2 },
        { label: 'P(same as ' + base.label + ')', data: alts.map((a) => (a.baseline || !diff(a) ? null : diff(a).p_same)),
          backgroundColor: with_alpha(palette[7], 0.8), borderColor: palette[7], borderWidth: 1, minBarLength: 2 },
        { label: 'P(cheapest of all)', data: alts.map((a) => a.p_cheapest),
          backgroundColor: with_alpha(palette[4], 0.8), borderColor: palette[4], borderWidth: 1, minBarLength: 2 }] },
        options: { scales: { y: Object.assign(share_axis('share of trials'), { max: 1 }) },
          plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + percent(c.parsed.y) } } } } });

    const time = section(root, 'Time and effort');
    time.append(el('p', { class: 'note', text: 'Duration from the migration start to the last MSP done, the chance that every MSP is done before updates stop, and technician hours summed over the MSPs.' }));
    sortable_table(time, 'time', [
      { title: 'alternative', value: (a) => a.label, text: true },
      { title: 'days P50', value: (a) => stat(a.duration_days, 'p50'), format: (v) => number(v, 1) },
      { title: 'days P90', value: (a) => stat(a.duration_days, 'p90'), format: (v) => number(v, 1) },
      { title: 'P(done before stop)', value: (a) => stat(a.done_before_updates_stop, 'p'),
        format: (v, a) => percent(v) + (v === null ? '' : ' \u00b1 ' + percent(a.done_before_updates_stop.se)) },
      { title: 'technician hours', value: (a) => stat(a.labor_hours, 'mean'),
        format: (v, a) => (v === null ? dash : thousands(v) + ' \u00b1 ' + number(a.labor_hours.se, 1)) },
      { title: 'hours P90', value: (a) => stat(a.labor_hours, 'p90'), format: (v) => thousands(v) },
    ], alts);
    if (charts.per_trial && charts.alternatives) {
      const cutoff = day_of_iso(charts.updates_end);
      const sets = charts.alternatives.map((a, i) => ({ label: a.label, data: points(a.completion),
        borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], borderWidth: 2,
        borderDash: dashes[i % dashes.length], pointRadius: 0, fill: false, stepped: 'after' }));
      sets.push(vertical_line('updates stop ' + charts.updates_end + ' 00:00', cutoff, 0, 1, cutoff_color, false));
      time.append(el('p', { class: 'note', text: 'The engine keeps each trial\'s completion date, not its schedule: the chart shows the share of trials whose last MSP is done by each date (not the share of endpoints moved over time).' }));
      chart(time, 'completion', 'Completion date by alternative',
        'Share of trials in which every MSP is done by each date, against the day updates stop.',
        { type: 'line', data: { datasets: sets },
          options: { scales: { x: date_axis('completion date (last MSP)'), y: Object.assign(share_axis('share of trials done'), { max: 1 }) },
            plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + iso_of_day(c.parsed.x) + (c.dataset.stepped ? ', ' + percent(c.parsed.y) : '') } } } } });
    }

    const per = section(root, 'Per MSP');
    per.append(el('p', { class: 'note', text: 'Each MSP\'s expected total cost, P90 and P(cheapest) under every alternative. Click a column to sort.' }));
    const columns = [{ title: 'MSP', value: (r) => r.name, text: true }];
    alts.forEach((a, k) => {
      const at = (r) => (r.by_alternative || [])[k] || {};
      columns.push({ title: a.label + ' mean', value: (r) => stat(at(r), 'mean'), format: money });
      columns.push({ title: a.label + ' P90', value: (r) => stat(at(r), 'p90'), format: money });
      columns.push({ title: a.label + ' P(cheapest)', value: (r) => stat(at(r), 'p_cheapest'), format: (v) => percent(v) });
    });
    sortable_table(per, 'msps', columns, report.msps || []);
  }

  // ---- sensitivity ----
  // The tornado: one row per input group, by |swing| (the JSON's order), a
  // bar from the baseline mean to the mean with the input held at its P10
  // and one to the mean at its P90, so each row spans the two means.
  function render_sensitivity(root, report, charts) {
    const m = report.manifest;
    const n = m.trials;
    const rows = report.inputs || [];
    const base = report.baseline || {};
    const unit = (report.output || {}).unit;
    const label = charts.output_label || (report.output || {}).key;
    const value = unit === 'USD' ? money : (x) => (finite(x) ? number(x, Math.abs(x) >= 100 ? 0 : 2) + (unit ? ' ' + unit : '') : dash);
    const signed = (x) => (finite(x) ? (x > 0 ? '+' : '') + value(x) : dash);
    const held = (row, side) => {
      const ms = row.members || [];
      const vals = ms.map((mb) => mb[side]);
      return vals.length && vals.every((v) => v === vals[0]) ? number(vals[0], Math.abs(vals[0]) >= 100 ? 0 : 3) : ms.length + ' values';
    };
    document.title = 'switchcost sensitivity: ' + (m.arguments || []).join(' ');
    const of_msp = (report.output || {}).msp ? ' of MSP ' + report.output.msp : '';
    root.append(el('h1', { text: 'What drives ' + (report.output || {}).key + ' (' + label + ')' + of_msp }));
    root.append(el('p', { class: 'lede', text: (m.arguments || []).join(' ') + ': ' + thousands(n) + ' trials, seed ' + m.seed +
      '; each uncertain input held at its P' + Math.round(100 * m.low_quantile) + ' and then its P' + Math.round(100 * m.high_quantile) +
      ', every other input drawn as usual on the same trials (' + m.runs + ' runs). Means are of ' + m.mean_series + '.' }));
    if (!m.complete) root.append(el('p', { class: 'error', text: 'Stopped early: ' + m.input_groups_done + ' of ' + m.input_groups + ' inputs were done; the others are left out.' }));
    const top = rows[0];
    figures(root, [
      ['baseline mean', value(stat(base, 'mean')), stat(base, 'se') !== null ? '\u00b1 ' + value(base.se) + ' (standard error)' : ''],
      ['baseline P90', value(stat(base, 'p90')), 'one trial in ten is above'],
      ['largest driver', top ? top.key : dash, top ? 'swing ' + signed(top.swing.mean) : ''],
      ['uncertain inputs', String(m.input_groups_done) + (m.input_groups_done !== m.input_groups ? ' of ' + m.input_groups : ''), 'each held at P10 and P90'],
    ]);

    const tornado = section(root, 'Tornado');
    tornado.append(el('p', { class: 'note', text: 'Each bar runs from the baseline mean to the mean with the input held at its P10 (one colour) and at its P90 (the other): the row spans the swing. Sorted by the size of the swing; the tooltip gives the swing\'s standard error (paired, trial by trial).' }));
    if (rows.length && stat(base, 'mean') !== null) {
      const b = base.mean;
      const side = (row, key) => [b, stat(row[key], 'mean') === null ? b : row[key].mean];
      const labels = rows.map((r) => r.key);
      const box_height = 60 + 24 * rows.length;
      chart(tornado, 'tornado', 'Swing of the mean ' + label + ' [' + (unit || '') + ']',
        'Baseline ' + value(b) + ' (the vertical line); ' + rows.length + ' inputs.',
        { type: 'bar', data: { labels: labels, datasets: [
          { label: 'input at P' + Math.round(100 * m.low_quantile), data: rows.map((r) => side(r, 'at_p10')),
            backgroundColor: with_alpha(palette[0], 0.75), borderColor: palette[0], borderWidth: 1, grouped: false, minBarLength: 1 },
          { label: 'input at P' + Math.round(100 * m.high_quantile), data: rows.map((r) => side(r, 'at_p90')),
            backgroundColor: with_alpha(palette[1], 0.75), borderColor: palette[1], borderWidth: 1, grouped: false, minBarLength: 1 }] },
          options: { indexAxis: 'y',
            scales: { x: unit === 'USD' ? money_axis('mean ' + label + ' [USD]') : { type: 'linear', title: { display: true, text: 'mean ' + label + (unit ? ' [' + unit + ']' : '') } },
              y: { ticks: { autoSkip: false } } },
            plugins: { baseline: { value: b },
              tooltip: { callbacks: { label: (c) => {
                const r = rows[c.dataIndex];
                const at = c.datasetIndex === 0 ? 'p10' : 'p90';
                return c.dataset.label + ' (' + held(r, at) + '): mean ' + value(r['at_' + at].mean);
              }, afterBody: (items) => {
                const r = rows[items[0].dataIndex];
                return 'swing ' + signed(r.swing.mean) + ' \u00b1 ' + value(r.swing.se) + ' (SE)' + (r.read ? '' : '; no MSP draws it');
              } } } } } },
        box_height, baseline_line);
    } else {
      tornado.append(el('p', { class: 'note', text: n > 0 ? 'The scenario has no uncertain input.' : 'No trial was done.' }));
    }

    const table = section(root, 'Inputs');
    table.append(el('p', { class: 'note', text: 'The same rows as the tornado. Click a column to sort by it (again to reverse).' }));
    sortable_table(table, 'tornado', [
      { title: 'rank', value: (r) => r.rank },
      { title: 'input', value: (r) => r.key, text: true },
      { title: 'level', value: (r) => r.level, text: true },
      { title: 'unit', value: (r) => r.unit || null, text: true },
      { title: 'held at P10', value: (r) => held(r, 'p10'), text: true },
      { title: 'held at P90', value: (r) => held(r, 'p90'), text: true },
      { title: 'mean at P10', value: (r) => stat(r.at_p10, 'mean'), format: value },
      { title: 'mean at P90', value: (r) => stat(r.at_p90, 'mean'), format: value },
      { title: 'swing', value: (r) => stat(r.swing, 'mean'), format: signed },
      { title: 'swing SE', value: (r) => stat(r.swing, 'se'), format: value },
      { title: '|swing|', value: (r) => (stat(r.swing, 'mean') === null ? null : Math.abs(r.swing.mean)), format: value },
      { title: 'P90 swing', value: (r) => (finite(r.p90_swing) ? r.p90_swing : null), format: signed },
      { title: 'P90 swing SE', value: (r) => (finite(r.p90_swing_se) ? r.p90_swing_se : null), format: value },
    ], rows);
  }
  // A vertical line at options.plugins.baseline.value (the tornado's baseline).
  const baseline_line = {
    id: 'baseline',
    afterDatasetsDraw(c, args, options) {
      if (!finite(options.value)) return;
      const x = c.scales.x.getPixelForValue(options.value);
      const ctx = c.ctx;
      ctx.save();
      ctx.strokeStyle = '#333';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x, c.chartArea.top);
      ctx.lineTo(x, c.chartArea.bottom);
      ctx.stroke();
      ctx.restore();
    },
  };

  // ---- sensitivity --indices ----
  // S and ST of each input group read, as bars with their bootstrap 95%
  // intervals as whiskers: market-level groups and per-MSP groups in two
  // charts (the JSON's order: each by ST, descending); then every group in a
  // table, and with --components and --per-msp the largest groups of each
  // cost component and of each MSP's own output.
  function render_indices(root, report, charts) {
    const m = report.manifest;
    const out = report.output || {};
    const rows = report.inputs || [];
    const label = charts.output_label || out.key;
    const value = out.unit === 'USD' ? money : (x) => (finite(x) ? number(x, Math.abs(x) >= 100 ? 0 : 2) + (out.unit ? ' ' + out.unit : '') : dash);
    const index = (x) => number(x, 3);
    const interval = (e) => (e && e.ci95 ? '[' + index(e.ci95[0]) + ', ' + index(e.ci95[1]) + ']' : dash);
    const est = (e) => (e && finite(e.estimate) ? e.estimate : null);
    document.title = 'switchcost sensitivity --indices: ' + (m.arguments || []).join(' ');
    root.append(el('h1', { text: 'What explains the variance of ' + out.key + ' (' + label + ')' }));
    root.append(el('p', { class: 'lede', text: (m.arguments || []).join(' ') + ': ' + thousands(m.trials) + ' trials per run, seed ' + m.seed +
      ', ' + m.runs + ' runs; S = first-order index (the share of the variance a group explains alone), ST = total index (with its interactions); ' +
      'whiskers are 95% bootstrap intervals over trials (' + m.bootstrap_replicates + ' replicates). Measured on ' + m.mean_series + '.' }));
    if (!m.complete || !finite(out.variance)) {
      root.append(el('p', { class: 'error', text: m.trials > 0 ? 'Stopped early: the indices need every run, so none are given.' : 'No trial was done.' }));
      return;
    }
    const read = rows.filter((r) => r.read);
    const sum_s = rows.reduce((a, r) => a + (est(r.first_order) || 0), 0);
    const largest = read.slice().sort((a, b) => est(b.total) - est(a.total))[0];
    figures(root, [
      ['mean', value(out.mean), 'of the runs A and B pooled'],
      ['standard deviation', value(Math.sqrt(out.variance)), out.zero_variance ? 'no variance: every index is 0' : ''],
      ['largest total index', largest ? largest.key : dash, largest ? 'ST ' + index(est(largest.total)) + ' ' + interval(largest.total) : ''],
      ['sum of S', index(sum_s), '1 - sum: the share due to interactions'],
    ]);
    const whiskers = {
      id: 'intervals',
      afterDatasetsDraw(c) {
        const ctx = c.ctx;
        ctx.save();
        ctx.strokeStyle = '#333';
        ctx.lineWidth = 1.5;
        c.data.datasets.forEach((ds, i) => {
          if (!ds.intervals || !c.isDatasetVisible(i)) return;
          c.getDatasetMeta(i).data.forEach((bar, k) => {
            const iv = ds.intervals[k];
            if (!iv || !finite(iv[0]) || !finite(iv[1])) return;
            const x0 = c.scales.x.getPixelForValue(iv[0]), x1 = c.scales.x.getPixelForValue(iv[1]), y = bar.y, h = 3;
            ctx.beginPath();
            ctx.moveTo(x0, y); ctx.lineTo(x1, y);
            ctx.moveTo(x0, y - h); ctx.lineTo(x0, y + h);
            ctx.moveTo(x1, y - h); ctx.lineTo(x1, y + h);
            ctx.stroke();
          });
        });
        ctx.restore();
      },
    };
    for (const [level, title, id] of [[false, 'Market-level inputs (market and competitors)', 'market'], [true, 'Per-MSP inputs', 'msp']]) {
      const part = read.filter((r) => (r.level === 'msp') === level);
      const s = section(root, title);
      if (!part.length) {
        s.append(el('p', { class: 'note', text: 'None uncertain.' }));
        continue;
      }
      const sets = [['S (first order)', 'first_order', 0], ['ST (total)', 'total', 1]].map(([name, key, c]) => ({
        label: name, data: part.map((r) => est(r[key])), intervals: part.map((r) => (r[key] || {}).ci95 || null),
        backgroundColor: with_alpha(palette[c], 0.75), borderColor: palette[c], borderWidth: 1, minBarLength: 1 }));
      chart(s, 'indices-' + id, title + ': S and ST of ' + label,
        part.length + ' groups, by ST; the whiskers are the 95% bootstrap intervals.',
        { type: 'bar', data: { labels: part.map((r) => r.key), datasets: sets },
          options: { indexAxis: 'y',
            scales: { x: { type: 'linear', min: Math.min(0, ...sets.flatMap((d) => d.intervals.map((iv) => (iv ? iv[0] : 0)))),
              title: { display: true, text: 'share of the variance of ' + label } }, y: { ticks: { autoSkip: false } } },
            plugins: { tooltip: { callbacks: { label: (c) => {
              const r = part[c.dataIndex], e = c.datasetIndex === 0 ? r.first_order : r.total;
              return c.dataset.label + ': ' + index(est(e)) + ' ' + interval(e) + ' (SE ' + index(e.se) + ')';
            } } } } } },
        60 + 34 * part.length, whiskers);
    }

    const table = section(root, 'Input groups');
    table.append(el('p', { class: 'note', text: 'Every group, those no MSP reads included (indices 0). Click a column to sort by it (again to reverse).' }));
    sortable_table(table, 'indices', [
      { title: 'input', value: (r) => r.key, text: true },
      { title: 'level', value: (r) => r.level, text: true },
      { title: 'members', value: (r) => (r.members || []).length },
      { title: 'S', value: (r) => est(r.first_order), format: index },
      { title: 'S 95% interval', value: (r) => interval(r.first_order), text: true },
      { title: 'ST', value: (r) => est(r.total), format: index },
      { title: 'ST 95% interval', value: (r) => interval(r.total), text: true },
      { title: 'read', value: (r) => (r.read ? 'yes' : 'no'), text: true },
    ], rows);

    // The groups of largest ST of one result (a component's, an MSP's), as text.
    const largest_of = (inputs, keep) => {
      const best = (inputs || []).filter((r) => est(r.total) > 0 && keep(r)).sort((a, b) => est(b.total) - est(a.total)).slice(0, 3);
      return best.length ? best.map((r) => r.key + ' ' + index(est(r.total)) + ' ' + interval(r.total)).join('; ') : dash;
    };
    if (report.components) {
      const s = section(root, 'By cost component');
      s.append(el('p', { class: 'note', text: 'Each cost component\'s standard deviation and its three groups of largest ST.' }));
      sortable_table(s, 'components', [
        { title: 'component', value: (c) => c.key, text: true },
        { title: 'sd', value: (c) => (finite(c.variance) ? Math.sqrt(c.variance) : null), format: money },
        { title: 'largest ST', value: (c) => largest_of(c.inputs, () => true), text: true },
      ], report.components);
    }
    if (report.msps) {
      const s = section(root, 'By MSP');
      s.append(el('p', { class: 'note', text: 'Each MSP\'s own ' + out.key + ': its mean, standard deviation, and its three market-level and three per-MSP groups of largest ST (an MSP key as that MSP\'s own input).' }));
      sortable_table(s, 'msps', [
        { title: 'MSP', value: (x) => x.msp, text: true },
        { title: 'mean', value: (x) => x.mean, format: value },
        { title: 'sd', value: (x) => (finite(x.variance) ? Math.sqrt(x.variance) : null), format: value },
        { title: 'market-level, largest ST', value: (x) => largest_of(x.inputs, (r) => r.level !== 'msp'), text: true },
        { title: 'per-MSP, largest ST', value: (x) => largest_of(x.inputs, (r) => r.level === 'msp'), text: true },
      ], report.msps);
    }
  }

  // ---- plan ----
  // The decision, the frontier (mean cost against P(done), every option a
  // point), the options, the value of information; then the options'
  // distributions as compare's page draws them (charts.comparison,
  // charts.compare_charts).
  function render_plan(root, report, charts) {
    const m = report.manifest;
    const n = m.trials;
    const opts = report.options || [];
    const d = report.decision || {};
    const constraints = report.constraints || [];
    const require = constraints.map((c) => c.text).join(' and ');
    const vary = (report.variables || []).map((v) => v.key + ' = ' + v.values.join(', ')).join('; ');
    document.title = 'switchcost plan: ' + (report.variables || []).map((v) => v.key).join(', ');
    root.append(el('h1', { text: 'Plan: ' + opts.length + ' options' }));
    root.append(el('p', { class: 'lede', text: 'Every combination of ' + vary + ', run on the same ' + thousands(n) +
      ' trials (seed ' + m.seed + '), so the differences between options are paired. ' +
      (constraints.length ? 'Constraints: ' + require + '.' : 'No constraint: the cheapest option is recommended.') }));
    if (!m.complete) root.append(el('p', { class: 'error', text: 'Stopped early: the figures are of ' + thousands(n) + ' of ' + thousands(m.trials_requested) + ' trials.' }));
    const rec = finite(d.recommended) ? opts[d.recommended] : null;
    const closest = finite(d.closest) ? opts[d.closest] : null;
    const runner = finite(d.runner_up) ? opts[d.runner_up] : null;
    const gap = d.runner_up_minus_recommended;
    const confidence = !rec ? '' : !runner ? 'the only option meeting them' :
      (d.tie ? 'a tie with ' : 'clear of ') + runner.label + ': ' + money(stat(gap, 'mean')) + ' more [' +
      (gap && gap.ci95 ? money(gap.ci95[0]) + ', ' + money(gap.ci95[1]) : dash) + ']';
    figures(root, [
      [rec ? 'recommended' : 'no option meets the constraints', rec ? rec.label : closest ? 'closest: ' + closest.label : dash,
        rec ? confidence : closest ? 'largest shortfall ' + percent(closest.shortfall) + ' of the bound' : ''],
      ['its mean cost', money(stat((rec || closest || {}).total_cost, 'mean')), 'P90 ' + money(stat((rec || closest || {}).total_cost, 'p90'))],
      ['its P(done before updates stop)', percent(stat((rec || closest || {}).done_before_updates_stop, 'p')), 'updates stop ' + m.updates_end],
      ['EVPI', report.value_of_information ? money(report.value_of_information.evpi) : dash,
        report.value_of_information ? 'what knowing every input first would be worth' : 'not computed'],
    ]);

    const front = section(root, 'Cost against P(done): the frontier');
    front.append(el('p', { class: 'note', text: 'Each option is a point: its mean cost against its chance of being done before updates stop. ' +
      'The frontier joins the options no other beats on both; the recommended option is the large mark. Constraint bounds are dashed.' }));
    if (n > 0 && opts.length) {
      const pt = (o, k) => ({ x: stat(o.done_before_updates_stop, 'p'), y: stat(o.total_cost, 'mean'), k: k });
      const all = opts.map(pt);
      const ys = all.map((p) => p.y).filter(finite);
      const lo = Math.min(...ys), hi = Math.max(...ys);
      const sets = [
        { type: 'scatter', label: 'options meeting the constraints', data: all.filter((p) => opts[p.k].meets),
          borderColor: palette[0], backgroundColor: palette[0], pointRadius: 5 },
        { type: 'scatter', label: 'options missing them', data: all.filter((p) => !opts[p.k].meets),
          borderColor: palette[7], backgroundColor: palette[7], pointRadius: 5, pointStyle: 'crossRot', borderWidth: 2 },
        { type: 'line', label: 'frontier', data: (report.frontier || []).map((f) => pt(opts[f.option], f.option)).sort((a, b) => a.x - b.x),
          borderColor: palette[2], backgroundColor: palette[2], borderWidth: 2, pointRadius: 0, fill: false },
      ];
      if (rec) sets.push({ type: 'scatter', label: 'recommended: ' + rec.label, data: [pt(rec, d.recommended)],
        borderColor: palette[1], backgroundColor: palette[1], pointRadius: 10, pointStyle: 'rectRot' });
      for (const c of constraints) {
        if (c.measure === 'p_done') sets.push(vertical_line(c.text, c.bound, lo, hi, cutoff_color, true));
        if (c.measure === 'cost_mean')
          sets.push({ type: 'line', label: c.text, data: [{ x: 0, y: c.bound }, { x: 1, y: c.bound }], borderColor: cutoff_color,
            backgroundColor: cutoff_color, borderWidth: 2, borderDash: [6, 4], pointRadius: 0, fill: false });
      }
      chart(front, 'frontier', 'Mean total cost against P(done before updates stop)',
        opts.length + ' options; ' + (report.frontier || []).length + ' on the frontier.',
        { type: 'scatter', data: { datasets: sets },
          options: { scales: { x: Object.assign(share_axis('P(done before updates stop)'), { max: 1 }), y: money_axis('mean total cost [USD]') },
            plugins: { tooltip: { callbacks: { label: (c) => {
              const k = c.raw && finite(c.raw.k) ? c.raw.k : null;
              return (k === null ? c.dataset.label : opts[k].label) + ': ' + money(c.parsed.y) + ', ' + percent(c.parsed.x);
            } } } } } });
    } else {
      front.append(el('p', { class: 'note', text: 'No trial was done.' }));
    }

    const table = section(root, 'Options');
    table.append(el('p', { class: 'note', text: 'Means \u00b1 standard error; the difference is to the ' +
      (rec ? 'recommended' : 'closest') + ' option, trial by trial, with its 95% confidence interval. Click a column to sort.' }));
    const ref = rec || closest;
    sortable_table(table, 'options', [
      { title: 'option', value: (o) => o.label, text: true, format: (v, o) => v + (o === rec ? ' (recommended)' : o === closest ? ' (closest)' : '') },
      { title: 'meets', value: (o) => (o.meets ? 'yes' : 'no'), text: true },
      { title: 'mean \u00b1 SE', value: (o) => stat(o.total_cost, 'mean'), format: (v, o) => mean_se(o.total_cost) },
      { title: 'P90', value: (o) => stat(o.total_cost, 'p90'), format: money },
      { title: 'days P50', value: (o) => stat(o.duration_days, 'p50'), format: (v) => number(v, 1) },
      { title: 'days P90', value: (o) => stat(o.duration_days, 'p90'), format: (v) => number(v, 1) },
      { title: 'P(done)', value: (o) => stat(o.done_before_updates_stop, 'p'),
        format: (v, o) => percent(v) + (v === null ? '' : ' \u00b1 ' + percent(o.done_before_updates_stop.se)) },
      { title: 'vs ' + (ref ? ref.label : 'reference') + ' [95% CI]', value: (o) => (o === ref ? null : stat(o.vs_reference, 'mean')),
        format: (v, o) => (v === null ? dash : (v >= 0 ? '+' : '') + money(v) + ' [' + money(o.vs_reference.ci95[0]) + ', ' + money(o.vs_reference.ci95[1]) + ']') },
      { title: 'frontier', value: (o) => (o.frontier ? 'yes' : ''), text: true },
    ], opts);

    const info = report.value_of_information;
    const voi = section(root, 'What learning an input first would be worth');
    if (info) {
      voi.append(el('p', { class: 'note', text: 'EVPI ' + money(info.evpi) + ' \u00b1 ' + money(info.evpi_se) +
        ': what knowing every uncertain input before choosing would be worth, for the choice by expected cost' +
        (info.meeting ? ' (among the ' + info.meeting.options + ' options meeting ' + require + ': ' + money(info.meeting.evpi) + ' \u00b1 ' + money(info.meeting.evpi_se) + ')' : '') +
        '. Per input, the EVPPI: binned regression with ' + info.evppi_bins + ' bins, less a noise floor of ' + money(Math.abs(info.evppi_noise_floor) < 0.5 ? 0 : info.evppi_noise_floor) + '.' }));
      const top = (info.evppi || []).filter((p) => p.evppi >= 0.5).slice(0, 15);
      if (top.length) {
        chart(voi, 'evppi', 'EVPPI per input [USD]', 'The ' + top.length + ' largest, a dollar or more.',
          { type: 'bar', data: { labels: top.map((p) => p.key), datasets: [{ label: 'EVPPI', data: top.map((p) => p.evppi),
            backgroundColor: with_alpha(palette[4], 0.8), borderColor: palette[4], borderWidth: 1, minBarLength: 2 }] },
            options: { indexAxis: 'y', scales: { x: Object.assign(money_axis('EVPPI [USD]'), { beginAtZero: true }), y: { ticks: { autoSkip: false } } },
              plugins: { tooltip: money_tooltip } } }, 60 + 26 * top.length);
      } else {
        voi.append(el('p', { class: 'note', text: 'No single input\'s EVPPI is a dollar or more above the noise floor.' }));
      }
    } else {
      voi.append(el('p', { class: 'note', text: 'Not computed (--no-value-of-information).' }));
    }

    if (charts.comparison) {
      const compared = section(root, 'The options compared');
      compared.append(el('p', { class: 'note', text: 'The options as compare shows alternatives: the first option is the baseline of its differences.' }));
      render_compare(compared, charts.comparison, charts.compare_charts || {}, true);
    }
  }

  // One renderer per result type (the "kind" html.cpp writes): a new
  // command's report adds its function here.
  const renderers = { run: render_run, compare: render_compare, sensitivity: render_sensitivity,
    sensitivity_indices: render_indices, plan: render_plan };

  const root = document.getElementById('report');
  try {
    const data = JSON.parse(document.getElementById('switchcost-data').textContent);
    const render = renderers[data.kind];
    if (!render) throw new Error('no renderer for a report of kind "' + data.kind + '"');
    render(root, data.report, data.charts || {});
    manifest_footer(root, data.report.manifest);
    const canvases = Array.from(document.querySelectorAll('canvas'));
    const drawn = canvases.filter((c) => c.dataset.drawn === 'yes').length;
    document.body.dataset.charts = String(made.length);
    document.body.dataset.chartsDrawn = String(drawn);
    document.body.dataset.ready = 'yes';
    if (drawn !== canvases.length)
      console.error('switchcost report: ' + (canvases.length - drawn) + ' of ' + canvases.length + ' charts were drawn blank: ' +
        canvases.filter((c) => c.dataset.drawn !== 'yes').map((c) => c.id).join(', '));
  } catch (e) {
    document.body.dataset.ready = 'error';
    root.append(el('p', { class: 'error', text: 'This report could not be drawn: ' + e }));
    console.error('switchcost report: ' + (e && e.stack ? e.stack : e));
  }
})();
