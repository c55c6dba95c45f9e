import { Routes } from '@angular/router';

export const routes: Routes = [
  { path: '', title: 'imagegen', loadComponent: () => import('@imagegen/web/feature-create').then((m) => m.CreatePage) },
  { path: 'gallery', title: 'My images · imagegen', loadComponent: () => import('@imagegen/web/feature-gallery').then((m) => m.GalleryPage) },
  { path: '**', redirectTo: '' },
];
