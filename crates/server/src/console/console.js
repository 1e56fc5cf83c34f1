// Progressive enhancement only: the console works without this file. Forms marked
// data-progress upload through XHR so a 10^5-row list shows how far the upload got and
// then that the server is checking it; the server's answer replaces the page.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      ev.preventDefault();
      var bar = document.getElementById(form.dataset.progress);
      var text = document.getElementById(form.dataset.progress + "-text");
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      bar.hidden = false;
      text.hidden = false;
      text.textContent = "正在上传…";
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        text.textContent = pct < 100 ? "正在上传… " + pct + "%" : "上传完成，正在逐行检查…";
      };
      xhr.onload = function () {
        if (xhr.responseURL && xhr.status < 400) {
          window.location.assign(xhr.responseURL);
        } else {
          document.open();
          document.write(xhr.responseText);
          document.close();
        }
      };
      xhr.onerror = function () {
        text.textContent = "上传失败，请检查网络后重试。";
        if (button) button.disabled = false;
      };
      xhr.send(new FormData(form));
    });
  });
});
