// The provider's admin form: choosing "Verified by a curator" while the date is empty fills in
// today's date (the server's today, given by the form), which is also what saving would do.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var status = document.getElementById("id_verification_status");
    var date = document.getElementById("id_verified_on");
    if (!status || !date) return;
    status.addEventListener("change", function () {
      if (status.value === "verified" && !date.value.trim() && date.dataset.today) {
        date.value = date.dataset.today;
      }
    });
  });
})();
