import { Routes } from '@angular/router';

export const routes: Routes = [
  {
    path: '',
    title: 'imagegen',
    loadComponent: () => import('@imagegen/web/feature-create').then((m) => m.CreatePage),
  },
  {
    path: 'gallery',
    title: 'My images · imagegen',
    loadComponent: () => import('@imagegen/web/feature-gallery').then((m) => m.GalleryPage),
  },
  {
    path: 'gallery/:id',
    title: 'Image details · imagegen',
    loadComponent: () => import('@imagegen/web/feature-gallery').then((m) => m.GenerationDetailPage),
  },
  {
    path: 'edit',
    title: 'Edit an image · imagegen',
    loadComponent: () => import('@imagegen/web/feature-edit').then((m) => m.EditPage),
  },
  {
    path: 'compare',
    title: 'Compare models · imagegen',
    loadComponent: () => import('@imagegen/web/feature-compare').then((m) => m.ComparePage),
  },
  { path: '**', redirectTo: '' },
];
