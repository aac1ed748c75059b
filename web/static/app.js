// revokd web UI — progressive enhancement only: every page works without this file.
//  - <time datetime> shown in the reader's locale and time zone (Intl), or relative ("5 minutes ago")
//  - links marked data-dialog open their confirmation <dialog> instead of the confirmation page
//  - copy buttons for a new token's secret
'use strict';

(function () {
  var dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  var relativeFormat =
    typeof Intl.RelativeTimeFormat === 'function'
      ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
      : null;
  var UNITS = [
    ['year', 31536000],
    ['month', 2592000],
    ['week', 604800],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];

  function relative(date) {
    if (relativeFormat === null) return dateFormat.format(date);
    var seconds = Math.round((date.getTime() - Date.now()) / 1000);
    if (Math.abs(seconds) < 45)
      return seconds <= 0
        ? relativeFormat.format(0, 'second')
        : relativeFormat.format(seconds, 'second');
    for (var i = 0; i < UNITS.length; i++) {
      var unit = UNITS[i];
      if (Math.abs(seconds) >= unit[1] || unit[0] === 'second')
        return relativeFormat.format(Math.round(seconds / unit[1]), unit[0]);
    }
    return dateFormat.format(date);
  }

  function formatTimes(root) {
    var nodes = root.querySelectorAll('time[datetime]');
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var date = new Date(node.getAttribute('datetime'));
      if (isNaN(date.getTime())) continue;
      var full = dateFormat.format(date);
      node.textContent = node.getAttribute('data-format') === 'relative' ? relative(date) : full;
      node.title = full;
    }
  }

  function openDialog(event) {
    var trigger = event.target.closest('[data-dialog]');
    if (trigger === null) return;
    var dialog = document.getElementById(trigger.getAttribute('data-dialog'));
    if (dialog === null || typeof dialog.showModal !== 'function') return; // fall back to the confirmation page
    event.preventDefault();
    dialog.returnValue = '';
    dialog.showModal();
    dialog.addEventListener('close', function onClose() {
      dialog.removeEventListener('close', onClose);
      trigger.focus();
    });
  }

  function copyFrom(button) {
    var input = document.getElementById(button.getAttribute('data-copy'));
    var status = document.querySelector('[data-copy-status]');
    if (input === null) return;
    var done = function (ok) {
      if (status !== null)
        status.textContent = ok
          ? 'Copied to the clipboard.'
          : 'Could not copy: select the token and copy it by hand.';
      var label = button.querySelector('span');
      if (ok && label !== null) {
        label.textContent = 'Copied';
        setTimeout(function () {
          label.textContent = 'Copy';
        }, 2500);
      }
    };
    if (navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
      navigator.clipboard.writeText(input.value).then(
        function () {
          done(true);
        },
        function () {
          fallbackCopy(input, done);
        },
      );
    } else {
      fallbackCopy(input, done);
    }
  }

  function fallbackCopy(input, done) {
    input.focus();
    input.select();
    var ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    done(ok);
  }

  document.addEventListener('click', function (event) {
    var copy = event.target.closest('[data-copy]');
    if (copy !== null) {
      copyFrom(copy);
      return;
    }
    openDialog(event);
  });

  // A click on the dimmed backdrop (outside the dialog's box) cancels, like Escape.
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof HTMLDialogElement) || !target.open) return;
    var box = target.getBoundingClientRect();
    var inside =
      event.clientX >= box.left &&
      event.clientX <= box.right &&
      event.clientY >= box.top &&
      event.clientY <= box.bottom;
    if (!inside) target.close('cancel');
  });

  document.addEventListener('focusin', function (event) {
    if (event.target.matches && event.target.matches('[data-select-on-focus]'))
      event.target.select();
  });

  function init() {
    formatTimes(document);
    var buttons = document.querySelectorAll('[data-copy]');
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
