// Proves scripts load and run: the browser test reads this text back.
document.getElementById("js-status").textContent = "loaded";
