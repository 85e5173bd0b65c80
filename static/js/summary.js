/* 共建 Gongjian — the monthly summary's charts and print button (static file: CSP-clean).
   The figures come from the page: {{ chart_data|json_script:"summary-data" }}, built by
   activities.summary.MonthlySummary.chart_data() from the same numbers as the tables. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-summary-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  var source = document.getElementById("summary-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;

  // Party red first, then colours that stay distinct in greyscale print.
  var palette = ["#b3261e", "#2f6f9f", "#d9822b", "#4a8c5c", "#7a4fa0",
                 "#c2a012", "#3d7f86", "#8c5a3c", "#5b6570", "#a33b6b"];

  var printing = window.matchMedia ? window.matchMedia("print") : { matches: false };
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = printing.matches ? 9 : 12;
  Chart.defaults.color = "#3b4249";
  // No animation: a canvas being animated prints half-drawn.
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.position = "bottom";
  Chart.defaults.plugins.legend.labels.boxWidth = 10;
  Chart.defaults.plugins.legend.labels.padding = 6;

  var countAxis = { beginAtZero: true, ticks: { precision: 0 } };
  var monthAxis = { ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 6 } };
  var charts = [];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    // Crisp on paper as well as on screen.
    config.options = Object.assign({ devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2) },
                                   config.options || {});
    charts.push(new Chart(canvas, config));
    canvas.closest(".chart").setAttribute("data-chart-ready", "true");
  }

  var categories = data.categories.length ? data.categories : [
    { key: "all", label: data.text.activities, data: data.activities }
  ];
  draw("chart-activities", {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: categories.map(function (c, i) {
        return { label: c.label, data: c.data, backgroundColor: palette[i % palette.length],
                 stack: "activities" };
      })
    },
    options: { scales: { x: Object.assign({ stacked: true }, monthAxis),
                         y: Object.assign({ stacked: true }, countAxis) } }
  });

  draw("chart-attendance", {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.text.attendance, data: data.attendance, borderColor: palette[0],
          backgroundColor: "rgba(179, 38, 30, .12)", fill: true, tension: 0.25, pointRadius: 3 }
      ]
    },
    options: { scales: { x: monthAxis, y: countAxis } }
  });

  draw("chart-households", {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: data.text.households, data: data.households,
                   backgroundColor: palette[3] }]
    },
    options: { scales: { x: monthAxis, y: countAxis } }
  });

  // Redraw at the paper's width (with smaller type) when printing, and back after.
  function redraw(forPrint) {
    Chart.defaults.font.size = forPrint ? 9 : 12;
    charts.forEach(function (chart) {
      chart.resize();
      chart.update("none");
    });
  }
  window.addEventListener("beforeprint", function () { redraw(true); });
  window.addEventListener("afterprint", function () { redraw(false); });
  if (printing.addEventListener) {
    printing.addEventListener("change", function (event) { redraw(event.matches); });
  }
}());
