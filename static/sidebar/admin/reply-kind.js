/* Reply admin: show only the fields the chosen kind uses. Each group of fields carries a
 * kind-<kind> class per kind that uses it (the menu items inline: kind-msgmenu). Without
 * JavaScript every group shows, and the server still checks each kind's fields. */
(function () {
  "use strict";
  function kindsOf(node) {
    var names = node.className + " " + (node.querySelector("fieldset") || { className: "" }).className;
    return (names.match(/kind-[a-z_]+/g) || []).map(function (name) { return name.slice(5); });
  }
  function update(select) {
    document.querySelectorAll("fieldset.module, .inline-group").forEach(function (node) {
      var kinds = kindsOf(node);
      if (kinds.length) node.hidden = kinds.indexOf(select.value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_kind");
    if (!select) return;
    select.addEventListener("change", function () { update(select); });
    update(select);
  });
})();
