/* Sizes written the one way the server writes them (jiandu/core/sizes.py: decimal SI units,
   one decimal under 10, half up, integer arithmetic), with the page's translated formats
   (`{% size_formats %}` in a data-size-formats attribute). */
(function () {
  "use strict";
  var STEP = 1000;

  function fill(template, number) { return template.replace("%(number)s", number); }

  function format(bytes, formats) {
    var n = Math.max(0, Math.floor(Number(bytes) || 0));
    if (n < STEP) { return fill(n === 1 ? formats.byte : formats.bytes, String(n)); }
    var units = formats.units;
    for (var power = 1; power <= units.length; power++) {
      var step = Math.pow(STEP, power);
      var tenths = Math.floor((n * 10 + step / 2) / step);
      if (tenths < 100) {
        return fill(units[power - 1], Math.floor(tenths / 10) + "." + (tenths % 10));
      }
      var whole = Math.floor((n + step / 2) / step);
      if (whole < STEP || power === units.length) { return fill(units[power - 1], String(whole)); }
    }
    return "";
  }

  function formatsOf(element) {
    var holder = element && element.closest("[data-size-formats]");
    return JSON.parse((holder || document.documentElement).getAttribute("data-size-formats"));
  }

  window.JianduSizes = { format: format, formatsOf: formatsOf };
}());
