"""Pictures of runs: ``timeline`` (what a timeline shows, as data), ``gantt`` (the figure), ``live``
(a timeline that grows while a run goes), ``comparison`` (runs side by side), ``panels`` (sliders,
Run and Stop) and ``pictures`` (the barista of lesson 00)."""
