import { Routes } from '@angular/router';

export const routes: Routes = [
  { path: '', title: 'imagegen', loadComponent: () => import('@imagegen/web/feature-create').then((m) => m.CreatePage) },
  { path: '**', redirectTo: '' },
];
