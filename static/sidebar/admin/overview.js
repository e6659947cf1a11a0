// The admin overview's charts (templates/admin/sidebar/overview.html), drawn with Chart.js
// from the numbers the page also shows in its tables.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("overview-data").textContent);
  const css = getComputedStyle(document.documentElement);
  const ink = css.getPropertyValue("--body-quiet-color").trim() || "#666";
  const rule = css.getPropertyValue("--hairline-color").trim() || "#e8e8e8";

  // One colour per outcome, the same in every period: good is green, trouble warm.
  const OUTCOME_COLORS = {
    ok: "#2e7d32",
    denied: "#ef6c00",
    not_found: "#90a4ae",
    invalid: "#8e24aa",
    upstream_error: "#c62828",
  };
  const BAR_COLOR = "#417690"; // admin's own header blue

  Chart.defaults.animation = false;
  Chart.defaults.color = ink;
  Chart.defaults.borderColor = rule;
  Chart.defaults.maintainAspectRatio = false;

  const counts = { ticks: { precision: 0 }, beginAtZero: true };

  function shortened(text, most) {
    return text.length > most ? text.slice(0, most - 1) + "…" : text;
  }

  function perDay(canvas, figure) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: figure.labels,
        datasets: figure.series.map((series) => ({
          label: series.label,
          data: series.counts,
          backgroundColor: OUTCOME_COLORS[series.key] || BAR_COLOR,
        })),
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, ...counts } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  function ranking(canvas, figure) {
    const labels = figure.labels;
    // As tall as its bars need: a ranking of two is not stretched over the space of ten.
    canvas.parentElement.style.height = labels.length * 2 + 3 + "rem";
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{ data: figure.counts, backgroundColor: BAR_COLOR, maxBarThickness: 24 }],
      },
      options: {
        indexAxis: "y",
        scales: {
          x: counts,
          y: { ticks: { callback: (value) => shortened(labels[value], 14) } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (items) => labels[items[0].dataIndex] } },
        },
      },
    });
  }

  const drawn = [];
  const charts = [
    ["per-day-chart", perDay, data.perDay],
    ["refusals-chart", ranking, data.refusals],
    ["busiest-chart", ranking, data.busiest],
    ["failures-chart", ranking, data.failures],
    ["replies-chart", ranking, data.replies],
    ["funnel-chart", ranking, data.funnel],
  ];
  for (const [id, draw, figure] of charts) {
    const canvas = document.getElementById(id);
    if (canvas) {
      drawn.push(draw(canvas, figure));
    }
  }
  document.body.dataset.charts = String(drawn.length);
})();
