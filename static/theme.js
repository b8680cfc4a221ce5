// The theme chosen on this device (light or dark), applied before the page is drawn so that
// it never flashes in the other one; without a choice the system's setting applies.
try {
  const theme = localStorage.getItem("hearth.theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch {
  // No storage: the system's setting.
}
